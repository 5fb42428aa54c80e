package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import sitelink.e2e.TwoOffices.Office;
import sitelink.testbed.Command;

/**
 * QoS across the WAN on {@link TwoOffices}: host A pings host B with DSCP EF ({@code ping -Q 0xb8}), and a capture on
 * A's WAN port ({@code tcpdump -v}) shows the tunnel's UDP datagrams with EF on their outer header, both ways; an
 * ECN-capable packet (EF with ECT(0), {@code -Q 0xba}) keeps its ECN field outside too; a plain ping leaves with TOS 0.
 * After a reload with {@code dscp: 0} on A's site for B, A's datagrams hide the class (ECN still copied). The same
 * for ESP between two sitelink gateways over IKEv2 (UDP-encapsulated on port 4500).
 */
class QosIT {
    private static final String EF = "0xb8", EF_ECT0 = "0xba";

    @Test
    void theOuterHeaderCarriesTheInnerDscpAndEcn() {
        try (TwoOffices t = TwoOffices.startSitelink()) {
            Office a = t.a(), b = t.b();
            String out = efBothWaysAndEcnOutward(t, 51820);

            List<String> plain = capture(t, a, b, "0", 51820);
            assertTrue(outerTos(plain, out).equals(List.of("0x0")), "a plain ping leaves with TOS 0: " + plain);

            t.writeSiteFile(a, t.writeSiteFileText(a, b) + "    dscp: 0\n");
            t.reload(a);
            List<String> hidden = capture(t, a, b, EF_ECT0, 51820);
            assertTrue(outerTos(hidden, out).equals(List.of("0x2")), "dscp: 0 hides EF, ECT(0) still copied: " + hidden);
        }
    }

    @Test
    void espDatagramsCarryTheInnerDscpAndEcnToo() {
        try (TwoOffices t = TwoOffices.create()) {
            Office a = t.a(), b = t.b();
            t.writeSiteFile(a, GatewayIkeIT.ikeSite(t, a, b, "start", GatewayIkeIT.psk(a)));
            t.writeSiteFile(b, GatewayIkeIT.ikeSite(t, b, a, "start", GatewayIkeIT.psk(b)));
            t.up(a);
            t.up(b);
            Traffic.awaitPing(a.host(), b.hostAddress(), Duration.ofSeconds(30));
            efBothWaysAndEcnOutward(t, 4500);
        }
    }

    /**
     * Host A's EF pings and host B's replies leave with EF outside, A's EF-with-ECT(0) pings with both; the datagrams
     * on {@code port}. Returns how tcpdump writes A's direction.
     */
    private static String efBothWaysAndEcnOutward(TwoOffices t, int port) {
        Office a = t.a(), b = t.b();
        String out = a.wanAddress() + "." + port + " > " + b.wanAddress() + "." + port;
        String back = b.wanAddress() + "." + port + " > " + a.wanAddress() + "." + port;
        List<String> ef = capture(t, a, b, EF, port);
        assertTrue(outerTos(ef, out).contains(EF), "A's datagrams carry EF outside: " + ef);
        assertTrue(outerTos(ef, back).contains(EF), "B's replies (EF inside) carry EF outside: " + ef);
        List<String> ect = capture(t, a, b, EF_ECT0, port);
        assertTrue(outerTos(ect, out).contains(EF_ECT0), "EF with ECT(0) copied outward: " + ect);
        return out;
    }

    /** Pings host B from host A with {@code -Q tos} and returns what tcpdump -v saw on A's WAN port meanwhile. */
    private static List<String> capture(TwoOffices t, Office a, Office b, String tos, int port) {
        try (Capture c = Capture.startDetailed(t.wan(), "wp1", "-v", "udp", "port", Integer.toString(port))) {
            Command.Result ping = a.host().exec(Duration.ofSeconds(20), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                    "-Q", tos, b.hostAddress());
            assertTrue(ping.ok(), ping.describe());
            return c.stop();
        }
    }

    /**
     * The outer TOS values (as tcpdump writes them, "0x0" when it prints none) of the datagrams whose address line
     * contains {@code direction}: tcpdump -v prints the IP header line ("IP (tos 0xb8, ttl 64, ...") before it.
     */
    private static List<String> outerTos(List<String> lines, String direction) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).contains(direction)) {
                String header = lines.get(i - 1);
                int at = header.indexOf("tos ");
                String tos = at < 0 ? "0x0" : header.substring(at + 4).split("[,)]")[0];
                if (!out.contains(tos)) {
                    out.add(tos);
                }
            }
        }
        return out;
    }
}
