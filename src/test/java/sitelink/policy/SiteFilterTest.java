package sitelink.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sitelink.packet.Packets.addr;
import static sitelink.packet.Packets.ipv4;
import static sitelink.packet.Packets.linuxSynOptions;
import static sitelink.packet.Packets.tcp;
import static sitelink.packet.Packets.u16;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;

/** The site's rules on the data path: policy per remote site, MSS clamping, path-MTU errors. */
class SiteFilterTest {
    static final byte[] HOST_A = addr("198.18.1.10");
    static final byte[] HOST_B = addr("198.18.2.10");
    static final byte[] SYN_OPTIONS = linuxSynOptions(1460);

    final SecureRandom random = new SecureRandom();
    final Key remoteKey = X25519.publicKey(X25519.generatePrivate(random));
    final List<byte[]> toLan = new ArrayList<>();

    SiteFilter filter(boolean clamp, String... rules) {
        SiteFilter.Remote b = new SiteFilter.Remote(remoteKey, "office-b",
                java.util.Arrays.stream(rules).map(Rules::parse).toList());
        return new SiteFilter(1420, clamp, Optional.of(address("198.19.0.1")), Optional.empty(), List.of(b),
                System::nanoTime, null);
    }

    boolean out(SiteFilter f, byte[] p) {
        return f.toTunnel(remoteKey, p, 0, p.length, (buf, off, len) -> toLan.add(java.util.Arrays.copyOfRange(buf, off, off + len)));
    }

    static byte[] syn(byte[] src, byte[] dst, int dport) {
        return ipv4(src, dst, 6, 0x4000, tcp(src, dst, 40000, dport, 0x02, SYN_OPTIONS, new byte[0]));
    }

    static int mssOf(byte[] ipv4Syn) {
        return u16(ipv4Syn, 20 + 20 + 2);
    }

    @Test
    void allowedServicePassesAndItsReplyToo() {
        SiteFilter f = filter(true, "allow to tcp 198.18.2.0/24 port 443");
        assertTrue(out(f, syn(HOST_A, HOST_B, 443)));
        byte[] synAck = ipv4(HOST_B, HOST_A, 6, 0x4000, tcp(HOST_B, HOST_A, 443, 40000, 0x12, SYN_OPTIONS, new byte[0]));
        assertTrue(f.fromTunnel(remoteKey, synAck, 0, synAck.length), "the reply of an allowed flow");
    }

    @Test
    void deniedPortAndUnsolicitedInboundAreDropped() {
        SiteFilter f = filter(true, "allow to tcp 198.18.2.0/24 port 443");
        assertFalse(out(f, syn(HOST_A, HOST_B, 22)), "port 22 is not allowed");
        byte[] inbound = syn(HOST_B, HOST_A, 443);
        assertFalse(f.fromTunnel(remoteKey, inbound, 0, inbound.length), "B may not open connections to A");
        assertEquals(2, f.policy(remoteKey).count(Verdict.DROP_NO_RULE));
    }

    @Test
    void withoutRulesEverythingWithinTheSelectorsPasses() {
        SiteFilter f = filter(true);
        assertTrue(out(f, syn(HOST_A, HOST_B, 22)));
        byte[] inbound = syn(HOST_B, HOST_A, 22);
        assertTrue(f.fromTunnel(remoteKey, inbound, 0, inbound.length));
    }

    @Test
    void synMssIsClampedToTheTunnelMtuBothWays() {
        SiteFilter f = filter(true);
        byte[] s = syn(HOST_A, HOST_B, 443);
        assertTrue(out(f, s));
        assertEquals(1380, mssOf(s));
        byte[] in = syn(HOST_B, HOST_A, 443);
        assertTrue(f.fromTunnel(remoteKey, in, 0, in.length));
        assertEquals(1380, mssOf(in));
        byte[] untouched = syn(HOST_A, HOST_B, 443);
        assertTrue(out(filter(false), untouched));
        assertEquals(1460, mssOf(untouched), "mss_clamp: false leaves it alone");
    }

    @Test
    void tooBigWithDontFragmentIsAnsweredWithFragmentationNeeded() {
        SiteFilter f = filter(true);
        byte[] big = ipv4(HOST_A, HOST_B, 17, 0x4000, sitelink.packet.Packets.udp(HOST_A, HOST_B, 1, 2, new byte[1500]));
        assertFalse(out(f, big), "dropped");
        assertEquals(1, toLan.size(), "an ICMP error went back to the LAN");
        byte[] icmp = toLan.get(0);
        assertEquals(1, icmp[9], "ICMP");
        assertEquals(3, icmp[20], "destination unreachable");
        assertEquals(4, icmp[21], "fragmentation needed");
        assertEquals(1420, u16(icmp, 26), "next-hop MTU");
        byte[] mayFragment = ipv4(HOST_A, HOST_B, 17, 0, sitelink.packet.Packets.udp(HOST_A, HOST_B, 1, 2, new byte[1500]));
        assertTrue(out(f, mayFragment), "without DF the packet may go (fragmented outside)");
    }

    private static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
