package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import sitelink.e2e.TwoOffices.Office;
import sitelink.e2e.TwoOffices.SiteExtras;
import sitelink.e2e.tools.SynFlood;
import sitelink.e2e.tools.TcpGreeter;
import sitelink.testbed.Command;
import sitelink.testbed.Proc;
import sitelink.testbed.Namespace;

/**
 * The end-to-end proof of the issue "Least-privilege tunnel policy, MSS clamping and path-MTU handling" on the
 * two-office topology: office A may open TCP 8443 on one server in office B (198.18.2.10) and ping, nothing else;
 * office B accepts exactly that. Services that the policy does not name are really listening (each test first
 * reaches them from inside office B) so that a failed connection through the tunnel is the policy's doing.
 */
@Tag(E2e.ALONE)
class PolicyIT {
    private static final String SERVER = "198.18.2.10";
    /** A second server in office B's LAN, on host B's interface, which the policy does not name. */
    private static final String OTHER_SERVER = "198.18.2.20";
    private static final int SERVICE = 8443;
    private static final int OTHER_PORT = 2222;
    /** WireGuard's default tunnel MTU, and the MSS that fits it (1420 - 20 IPv4 - 20 TCP). */
    private static final int TUNNEL_MTU = 1420;
    private static final int CLAMPED_MSS = TUNNEL_MTU - 40;

    private static final SiteExtras POLICY_A = SiteExtras.policy(
            "allow to tcp " + SERVER + "/32 port " + SERVICE,
            "allow both icmp type 8");
    /**
     * B mirrors A, and also lets its own hosts open 8443 on host A: only A's default deny stands in the way of
     * that, so the inbound test exercises A's policy and not B's.
     */
    private static final SiteExtras POLICY_B = SiteExtras.policy(
            "allow from tcp " + SERVER + "/32 port " + SERVICE,
            "allow to tcp 198.18.1.10/32 port " + SERVICE,
            "allow both icmp type 8");

    @Test
    void allowedServiceAnswersWhileADeniedPortADeniedServerAndInboundConnectionsDoNot() {
        try (TwoOffices t = TwoOffices.startSitelink(POLICY_A, POLICY_B)) {
            Office a = t.a(), b = t.b();
            b.host().ip("addr", "add", OTHER_SERVER + "/24", "dev", "lan0");
            serve(b.host(), SERVER + ":" + SERVICE, SERVER + ":" + OTHER_PORT, OTHER_SERVER + ":" + SERVICE);
            serve(a.host(), a.hostAddress() + ":" + SERVICE);
            // The controls: every server answers from its own office.
            assertAnswers(b.gateway(), SERVER, OTHER_PORT);
            assertAnswers(b.gateway(), OTHER_SERVER, SERVICE);
            assertAnswers(a.gateway(), a.hostAddress(), SERVICE);

            long filteredA = filtered(a);
            assertAnswers(a.host(), SERVER, SERVICE);
            assertEquals(filteredA, filtered(a), "the allowed connection and its replies were not dropped");

            assertTimesOut(a.host(), SERVER, OTHER_PORT);
            long afterPort = filtered(a);
            assertTrue(afterPort > filteredA, "gateway A counted the SYNs to port " + OTHER_PORT + " as filtered ("
                    + filteredA + " -> " + afterPort + ")");
            assertTimesOut(a.host(), OTHER_SERVER, SERVICE);
            long afterServer = filtered(a);
            assertTrue(afterServer > afterPort, "gateway A counted the SYNs to " + OTHER_SERVER + " as filtered ("
                    + afterPort + " -> " + afterServer + ")");

            // Inbound: B's own policy lets the SYN out; A's default deny drops it on arrival.
            long sentByB = filtered(b);
            assertTimesOut(b.host(), a.hostAddress(), SERVICE);
            assertEquals(sentByB, filtered(b), "gateway B let the SYN into the tunnel (its rule allows it)");
            long afterInbound = filtered(a);
            assertTrue(afterInbound > afterServer, "gateway A counted the inbound SYNs as filtered (" + afterServer
                    + " -> " + afterInbound + ")");

            // What the operator sees: the drops are charged to office B in 'sitelink status'.
            JsonNode tunnel = status(a).path("tunnels").get(0);
            assertEquals(b.name(), tunnel.path("peer").asText(), "the status row is A's tunnel to office B");
            long charged = tunnel.path("drops").path("filtered").asLong();
            assertEquals(afterInbound, charged, "every filtered packet, both ways, shows under office B in status:\n"
                    + tunnel);

            // Pings are allowed both ways.
            assertTrue(Traffic.ping(b.host(), a.hostAddress(), 3, 0.1).lossless(), "host B pings host A");

            // Larger than the tunnel MTU, a ping and its reply cross in fragments: the later ones carry no ICMP
            // header, and pass because their first fragment was allowed (and nothing more was filtered).
            long beforeBig = filtered(a) + filtered(b);
            Command.Result big = a.host().exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", "-s", "3000",
                    b.hostAddress());
            assertTrue(big.ok() && big.stdout().contains("3 received"), "3000-byte pings cross both policies:\n"
                    + big.describe());
            assertEquals(beforeBig, filtered(a) + filtered(b), "no fragment was filtered");
        }
    }

    /**
     * Host A's SYN leaves it with MSS 1460 (its LAN MTU is 1500) and arrives at host B with 1380; host B's SYN-ACK
     * is clamped the same way on its way back, so neither side sends segments the tunnel would have to refuse.
     */
    @Test
    void synCrossingTheTunnelCarriesTheClampedMss() {
        try (TwoOffices t = TwoOffices.startSitelink(POLICY_A, POLICY_B)) {
            Office a = t.a(), b = t.b();
            serve(b.host(), SERVER + ":" + SERVICE);
            List<String> atA, atB;
            try (Capture capA = Capture.startDetailed(a.host(), "lan0", "tcp", "port", Integer.toString(SERVICE));
                 Capture capB = Capture.startDetailed(b.host(), "lan0", "tcp", "port", Integer.toString(SERVICE))) {
                assertAnswers(a.host(), SERVER, SERVICE);
                E2e.await(Duration.ofSeconds(10), "both captures to see the handshake",
                        () -> capA.soFar().size() >= 3 && capB.soFar().size() >= 3);
                atA = capA.stop();
                atB = capB.stop();
            }
            assertEquals(1460, mss(atA, "[S]", a.hostAddress()), "host A sent its SYN with MSS 1460:\n" + atA);
            assertEquals(CLAMPED_MSS, mss(atB, "[S]", a.hostAddress()), "the SYN reached host B with the clamped MSS:\n"
                    + atB);
            assertEquals(1460, mss(atB, "[S.]", SERVER), "host B answered with MSS 1460:\n" + atB);
            assertEquals(CLAMPED_MSS, mss(atA, "[S.]", SERVER), "the SYN-ACK reached host A clamped:\n" + atA);
        }
    }

    /**
     * The WAN path between the gateways goes through the WAN router, whose link has an MTU of 1300: less than a full
     * tunnel datagram (1420 + 60 bytes of IPv4, UDP and WireGuard). The gateways send their datagrams without DF, so
     * the router fragments them and gateway B reassembles; 16 MiB of TCP arrive intact, through the policy.
     */
    @Test
    void bulkTransferCompletesIntactWithThePathMtuLowered() {
        try (TwoOffices t = TwoOffices.startSitelink(POLICY_A, POLICY_B)) {
            Office a = t.a(), b = t.b();
            Namespace wan = t.wan();
            wan.execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0",
                    "net.ipv4.conf.br0.send_redirects=0");
            wan.ip("link", "set", "br0", "mtu", "1300");
            a.gateway().ip("route", "add", b.wanAddress() + "/32", "via", TwoOffices.WAN_ROUTER);
            b.gateway().ip("route", "add", a.wanAddress() + "/32", "via", TwoOffices.WAN_ROUTER);
            long fragmentsBefore = E2e.snmp(wan, "Ip", "FragCreates");

            long bytes = 16 * TcpTransfer.MIB;
            TcpTransfer.Result r = TcpTransfer.start(a.host(), b.host(), SERVER, SERVICE, bytes, 0)
                    .await(Duration.ofSeconds(90));
            assertEquals(bytes, r.received(), "host B received every byte");
            assertEquals(r.sentSha256(), r.receivedSha256(), "and the same bytes (SHA-256)");
            long fragments = E2e.snmp(wan, "Ip", "FragCreates") - fragmentsBefore;
            // 16 MiB in 1380-byte segments is over 12000 full datagrams, each cut in two by the router.
            assertTrue(fragments > 10_000, "the WAN router fragmented the tunnel's datagrams (" + fragments + ")");

            // diagnose measures the path (a DF probe the router answers with "fragmentation needed") and says what
            // to set: 1300 - 60 bytes of IPv4, UDP and WireGuard headers.
            Command.Result d = a.gateway().exec(Duration.ofSeconds(30), E2e.home().resolve("sitelink").toString(),
                    "diagnose", a.siteFile().toString());
            String line = d.stdout().lines().filter(l -> l.contains("path MTU to " + b.name())).findFirst()
                    .orElse("(no path MTU line)\n" + d.describe());
            assertTrue(line.startsWith("WARN") && line.contains("carries 1300-byte packets")
                    && line.contains("set tunnel mtu to 1240 or less"), line);
            assertEquals(0, d.exitCode(), "a warning is not a failure:\n" + d.describe());
        }
    }

    /**
     * A narrower link beyond gateway B (its LAN side has an MTU of 1300; host B's side keeps 1500, so host B still
     * offers MSS 1460 and host A sends full 1420-byte packets with DF): gateway B's kernel answers them with ICMP
     * "fragmentation needed", which must cross both policies back to host A as related to the allowed flow. If either
     * policy dropped it, the DF packets would vanish and the transfer would stall (a PMTUD black hole).
     */
    @Test
    void pathMtuDiscoveryWorksAcrossBothPoliciesWhenALinkBeyondTheTunnelIsNarrower() {
        try (TwoOffices t = TwoOffices.startSitelink(POLICY_A, POLICY_B)) {
            Office a = t.a(), b = t.b();
            b.gateway().ip("link", "set", "lan", "mtu", "1300");
            Command.Result ping = a.host().exec("ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", "1392",
                    b.hostAddress());
            assertTrue((ping.stdout() + ping.stderr()).contains("mtu = 1300"),
                    "host A's 1420-byte ping with DF comes back as fragmentation needed, mtu 1300:\n" + ping.describe());
            a.host().execOk("ip", "route", "flush", "cache");

            long bytes = 4 * TcpTransfer.MIB;
            TcpTransfer.Result r = TcpTransfer.start(a.host(), b.host(), SERVER, SERVICE, bytes, 0)
                    .await(Duration.ofSeconds(60));
            assertEquals(r.sentSha256(), r.receivedSha256(), "host B received the 4 MiB intact");
            String route = a.host().ip("route", "get", b.hostAddress());
            assertTrue(route.contains("mtu 1300"), "host A learnt the path MTU 1300 for host B: " + route);
        }
    }

    /**
     * With clamping off, host A's TCP uses MSS 1460 and sends 1500-byte packets with DF: gateway A answers with ICMP
     * "fragmentation needed" naming the tunnel MTU, host A lowers its path MTU, and the transfer completes.
     */
    @Test
    void withoutClampingAHostLearnsTheTunnelMtuFromFragmentationNeeded() {
        try (TwoOffices t = TwoOffices.startSitelink(POLICY_A.withTunnel("mss_clamp: false"),
                POLICY_B.withTunnel("mss_clamp: false"))) {
            Office a = t.a(), b = t.b();
            Command.Result ping = a.host().exec("ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", "1472",
                    b.hostAddress());
            assertTrue((ping.stdout() + ping.stderr()).contains("mtu = " + TUNNEL_MTU),
                    "a 1500-byte ping with DF is answered with fragmentation needed, mtu " + TUNNEL_MTU + ":\n"
                            + ping.describe());
            a.host().execOk("ip", "route", "flush", "cache");

            long bytes = 4 * TcpTransfer.MIB;
            TcpTransfer.Result r = TcpTransfer.start(a.host(), b.host(), SERVER, SERVICE, bytes, 0)
                    .await(Duration.ofSeconds(60));
            assertEquals(r.sentSha256(), r.receivedSha256(), "host B received the 4 MiB intact");
            String route = a.host().ip("route", "get", b.hostAddress());
            assertTrue(route.contains("mtu " + TUNNEL_MTU), "host A learnt the path MTU " + TUNNEL_MTU + ": " + route);
        }
    }

    /**
     * An allowed host floods SYNs that nobody answers (issue 13, item 5): host A, from a second address, opens
     * 60,000 connections to 198.18.2.10:9000, a port the policies allow, at up to 4000 a second, each from a new port,
     * and host B drops everything for that address (a blackhole route), so no SYN-ACK or RST ever comes back. That is
     * more opens than the connection table holds (32768), well within the 120 s an unanswered open used to stay.
     * Meanwhile host A's transfer of 48 MiB to host B (2 MiB/s) keeps going and arrives intact, and a new connection
     * from host A's own address, opened while the flood runs, is answered: the flooding address holds at most its
     * share of the table, and its opens leave it within seconds.
     */
    @Test
    void anAllowedHostFloodingUnansweredSynsBlocksNeitherTransfersNorOtherHosts() {
        String flooder = "198.18.1.100";
        int floodPort = 9000;
        int transferPort = 8444;
        String ports = " port " + SERVICE + "," + transferPort + "," + floodPort;
        SiteExtras policyA = SiteExtras.policy("allow to tcp " + SERVER + "/32" + ports, "allow both icmp type 8");
        SiteExtras policyB = SiteExtras.policy("allow from tcp " + SERVER + "/32" + ports, "allow both icmp type 8");
        try (TwoOffices t = TwoOffices.startSitelink(policyA, policyB)) {
            Office a = t.a(), b = t.b();
            a.host().ip("addr", "add", flooder + "/24", "dev", "lan0");
            b.host().ip("route", "add", "blackhole", flooder + "/32");
            serve(b.host(), SERVER + ":" + SERVICE);
            assertAnswers(a.host(), SERVER, SERVICE);

            long bytes = 48 * TcpTransfer.MIB;
            TcpTransfer transfer = TcpTransfer.start(a.host(), b.host(), SERVER, transferPort, bytes,
                    2 * TcpTransfer.MIB);
            E2e.await(Duration.ofSeconds(30), "the transfer to get going", () -> transfer.receivedSoFar() > 0);
            long beforeFlood = transfer.receivedSoFar();
            Proc flood = a.host().start(E2e.java(SynFlood.class, flooder, SERVER, Integer.toString(floodPort), "60000",
                    "4000"));
            E2e.await(Duration.ofSeconds(60), "45,000 SYNs to be sent: more than the table holds",
                    () -> flood.output().contains("progress 45000") || !flood.isAlive(), flood::tail);
            assertTrue(flood.isAlive(), "the flood still runs\n" + flood.tail());
            long duringFlood = transfer.receivedSoFar();
            assertAnswers(a.host(), SERVER, SERVICE);
            assertEquals(0, flood.waitFor(Duration.ofSeconds(60)), "the flood ends\n" + flood.tail());
            assertTrue(duringFlood > beforeFlood, "the transfer moved on during the flood (" + beforeFlood + " -> "
                    + duringFlood + " bytes)");
            TcpTransfer.Result r = transfer.await(Duration.ofSeconds(60));
            assertEquals(bytes, r.received(), "host B received every byte");
            assertEquals(r.sentSha256(), r.receivedSha256(), "and the same bytes (SHA-256)");
        }
    }

    // ---------------------------------------------------------------- helpers

    /** TCP servers ({@link TcpGreeter}) on each ADDRESS:PORT, each answering a connection with one line naming itself. */
    private static void serve(Namespace ns, String... addressesAndPorts) {
        Proc p = ns.start(E2e.java(TcpGreeter.class, addressesAndPorts));
        E2e.await(Duration.ofSeconds(30), "the TCP servers to listen", () -> p.output().contains("listening")
                || !p.isAlive(), p::tail);
        assertTrue(p.isAlive(), "TcpGreeter exited\n" + p.tail());
    }

    /**
     * Connects with bash's /dev/tcp and prints what the server says; {@code timeout} ends an attempt whose SYNs go
     * unanswered after 4 s (exit 124), while a refused connection fails at once with "Connection refused".
     */
    private static Command.Result connect(Namespace from, String address, int port) {
        return from.exec(Duration.ofSeconds(15), "timeout", "4", "bash", "-c",
                "exec 3<>/dev/tcp/" + address + "/" + port + " && cat <&3");
    }

    private static void assertAnswers(Namespace from, String address, int port) {
        Command.Result r = connect(from, address, port);
        assertTrue(r.ok() && r.stdout().contains("hello from " + address + " " + port),
                from + " connects to " + address + ":" + port + " and reads its greeting:\n" + r.describe());
    }

    /** The connection attempt fails by timing out: the SYNs vanish, nothing answers with a reset or an ICMP error. */
    private static void assertTimesOut(Namespace from, String address, int port) {
        Command.Result r = connect(from, address, port);
        assertEquals(124, r.exitCode(), from + " must not connect to " + address + ":" + port
                + ", and the attempt must time out (dropped, not refused):\n" + r.describe());
    }

    private static long filtered(Office o) {
        return Uapi.request(o.iface(), "get_counters=1\n\n").numbers().getOrDefault("drop_filtered", -1L);
    }

    private static JsonNode status(Office o) {
        Command.Result r = o.gateway().exec(E2e.home().resolve("sitelink").toString(), "status", "--json", o.iface());
        assertEquals(0, r.exitCode(), "sitelink status:\n" + r.describe());
        try {
            return new ObjectMapper().readTree(r.stdout());
        } catch (java.io.IOException e) {
            throw new AssertionError("status --json is not JSON: " + r.stdout(), e);
        }
    }

    private static final Pattern MSS = Pattern.compile("mss (\\d+)");

    /** The MSS option of the first segment with {@code flags} ("[S]" or "[S.]") sent by {@code source}. */
    private static int mss(List<String> packets, String flags, String source) {
        for (String l : packets) {
            if (l.startsWith("IP " + source + ".") && l.contains("Flags " + flags)) {
                Matcher m = MSS.matcher(l);
                return m.find() ? Integer.parseInt(m.group(1)) : -1;
            }
        }
        return -2;
    }
}
