package sitelink.ipsec;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import sitelink.ike.TrafficSelector;

class SelectorsTest {
    /** An IPv4 packet of {@code protocol} from {@code src}:{@code sport} to {@code dst}:{@code dport}. */
    private static byte[] v4(String src, String dst, int protocol, int sport, int dport) {
        byte[] p = new byte[40];
        p[0] = 0x45;
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = (byte) protocol;
        System.arraycopy(InetAddress.ofLiteral(src).getAddress(), 0, p, 12, 4);
        System.arraycopy(InetAddress.ofLiteral(dst).getAddress(), 0, p, 16, 4);
        p[20] = (byte) (sport >>> 8);
        p[21] = (byte) sport;
        p[22] = (byte) (dport >>> 8);
        p[23] = (byte) dport;
        return p;
    }

    private static byte[] v6(String src, String dst, int nextHeader) {
        byte[] p = new byte[60];
        p[0] = 0x60;
        p[5] = 20;
        p[6] = (byte) nextHeader;
        p[7] = 64;
        System.arraycopy(InetAddress.ofLiteral(src).getAddress(), 0, p, 8, 16);
        System.arraycopy(InetAddress.ofLiteral(dst).getAddress(), 0, p, 24, 16);
        return p;
    }

    private static TrafficSelector ports(String cidr, int protocol, int from, int to) {
        TrafficSelector s = TrafficSelector.subnet(cidr);
        return new TrafficSelector(protocol, from, to, s.start(), s.end());
    }

    @Test
    void addressesMustFitBothDirectionsSelectors() {
        // narrowed by the peer: our 198.18.1.0/24 to its 198.18.2.0/26 only
        Selectors s = Selectors.of(List.of(TrafficSelector.subnet("198.18.1.0/24")), List.of(TrafficSelector.subnet("198.18.2.0/26")));
        assertTrue(s.outbound(v4("198.18.1.10", "198.18.2.63", 1, 0, 0), 0, 40));
        assertFalse(s.outbound(v4("198.18.1.10", "198.18.2.64", 1, 0, 0), 0, 40), "outside the narrowed remote selector");
        assertFalse(s.outbound(v4("198.18.3.10", "198.18.2.10", 1, 0, 0), 0, 40), "from outside the local selector");
        assertTrue(s.inbound(v4("198.18.2.0", "198.18.1.255", 17, 53, 53), 0, 40));
        assertFalse(s.inbound(v4("198.18.2.200", "198.18.1.10", 17, 53, 53), 0, 40), "from outside the remote selector");
        assertFalse(s.inbound(v4("198.18.2.10", "198.18.4.1", 17, 53, 53), 0, 40), "to outside the local selector");
        assertFalse(s.inbound(v6("2001:db8::1", "2001:db8::2", 58), 0, 60), "another family");
        assertFalse(s.inbound(new byte[] {0x45, 0}, 0, 2), "not a packet");
    }

    @Test
    void protocolAndPortsCountWhereThePacketShowsThem() {
        Selectors s = Selectors.of(List.of(ports("198.18.1.0/24", 6, 0, 65535)), List.of(ports("198.18.2.0/24", 6, 443, 443)));
        assertTrue(s.outbound(v4("198.18.1.10", "198.18.2.10", 6, 40000, 443), 0, 40));
        assertFalse(s.outbound(v4("198.18.1.10", "198.18.2.10", 6, 40000, 80), 0, 40), "another port");
        assertFalse(s.outbound(v4("198.18.1.10", "198.18.2.10", 17, 40000, 443), 0, 40), "another protocol");
        assertTrue(s.inbound(v4("198.18.2.10", "198.18.1.10", 6, 443, 40000), 0, 40));
        assertFalse(s.inbound(v4("198.18.2.10", "198.18.1.10", 6, 444, 40000), 0, 40));
        byte[] laterFragment = v4("198.18.1.10", "198.18.2.10", 6, 40000, 80);
        laterFragment[7] = 100; // fragment offset 800 bytes: no ports in it
        assertTrue(s.outbound(laterFragment, 0, 40), "a later fragment is judged by addresses and protocol");
    }

    @Test
    void ipv6RangesAndAnyOfSeveralSelectors() {
        Selectors s = Selectors.of(List.of(TrafficSelector.subnet("2001:db8:1::/48"), TrafficSelector.subnet("198.18.1.0/24")),
                List.of(TrafficSelector.subnet("2001:db8:2::/48"), TrafficSelector.subnet("198.18.2.0/24")));
        assertTrue(s.outbound(v6("2001:db8:1::5", "2001:db8:2:ffff::1", 58), 0, 60));
        assertFalse(s.outbound(v6("2001:db8:1::5", "2001:db8:3::1", 58), 0, 60));
        assertTrue(s.outbound(v4("198.18.1.1", "198.18.2.1", 1, 0, 0), 0, 40));
        assertTrue(s.inbound(v6("2001:db8:2::9", "2001:db8:1:abcd::1", 17), 0, 60));
    }
}
