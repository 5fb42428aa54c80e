package sitelink.packet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sitelink.packet.Packets.*;

import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import sitelink.packet.IcmpErrors.Outcome;
import sitelink.wireguard.FakeClock;

class IcmpErrorsTest {
    static final byte[] HOST4 = addr("198.18.1.5");
    static final byte[] FAR4 = addr("198.18.2.10");
    static final byte[] GW4 = addr("198.18.1.1");
    static final byte[] HOST6 = addr("2001:db8:1::5");
    static final byte[] FAR6 = addr("2001:db8:2::10");
    static final byte[] GW6 = addr("2001:db8:1::1");
    final FakeClock clock = new FakeClock();
    final IcmpErrors errors = new IcmpErrors(1420, new TokenBucket(10, 100));
    final PacketView v = new PacketView();
    final byte[] out = new byte[IcmpErrors.MAX_ERROR_LENGTH];

    private int build(byte[] p, byte[] gw) {
        assertTrue(v.parse(p, 0, p.length));
        return errors.tooBig(v, gw, out, 0, clock.nanoTime());
    }

    @Test
    void fragmentationNeededForIpv4WithDf() {
        byte[] p = ipv4(HOST4, FAR4, 6, 0x4000, tcp(HOST4, FAR4, 40000, 443, PacketView.ACK, new byte[0], new byte[1480]));
        int n = build(p, GW4);
        assertEquals(Outcome.SENT, errors.lastOutcome());
        assertEquals(576, n, "RFC 1812: no more than 576 bytes");
        byte[] e = Arrays.copyOf(out, n);
        assertEquals(0x45, e[0]);
        assertEquals(576, u16(e, 2));
        assertEquals(1, e[9]);
        assertArrayEquals(GW4, Arrays.copyOfRange(e, 12, 16));
        assertArrayEquals(HOST4, Arrays.copyOfRange(e, 16, 20));
        int ipSum = u16(e, 10);
        e[10] = e[11] = 0;
        assertEquals(naiveChecksum(Arrays.copyOf(e, 20)), ipSum);
        assertEquals(3, e[20]);
        assertEquals(4, e[21]);
        assertEquals(1420, u16(e, 26), "next-hop MTU");
        int icmpSum = u16(e, 22);
        e[22] = e[23] = 0;
        assertEquals(naiveChecksum(Arrays.copyOfRange(e, 20, n)), icmpSum);
        assertArrayEquals(Arrays.copyOf(p, 548), Arrays.copyOfRange(e, 28, n), "quotes the packet's start");
        PacketView parsed = new PacketView();
        assertTrue(parsed.parse(out, 0, n));
        assertTrue(parsed.isIcmpError());
    }

    @Test
    void packetTooBigForIpv6() {
        byte[] p = ipv6(HOST6, FAR6, 17, new byte[0], udp(HOST6, FAR6, 5000, 6000, new byte[1452]));
        int n = build(p, GW6);
        assertEquals(1280, n, "RFC 4443 2.4 c: as much as fits in the minimum MTU");
        byte[] e = Arrays.copyOf(out, n);
        assertEquals(0x60, e[0]);
        assertEquals(1240, u16(e, 4));
        assertEquals(58, e[6]);
        assertArrayEquals(GW6, Arrays.copyOfRange(e, 8, 24));
        assertArrayEquals(HOST6, Arrays.copyOfRange(e, 24, 40));
        assertEquals(2, e[40]);
        assertEquals(0, e[41]);
        assertEquals(1420, (int) (u16(e, 44) << 16 | u16(e, 46)));
        int sum = u16(e, 42);
        e[42] = e[43] = 0;
        byte[] msg = Arrays.copyOfRange(e, 40, n);
        assertEquals(naiveChecksum(pseudo(GW6, HOST6, 58, msg.length), msg), sum, "ICMPv6 pseudo-header checksum");
        assertArrayEquals(Arrays.copyOf(p, 1232), Arrays.copyOfRange(e, 48, n));
    }

    @Test
    void announcesTheTunnelMtuAtTheMinimums() {
        byte[] p = ipv6(HOST6, FAR6, 17, new byte[0], udp(HOST6, FAR6, 5000, 6000, new byte[1400]));
        IcmpErrors small = new IcmpErrors(1280, new TokenBucket(10, 10));
        assertTrue(v.parse(p, 0, p.length));
        int n = small.tooBig(v, GW6, out, 0, 0);
        assertEquals(1280, n);
        assertEquals(1280, u16(out, 46));
        byte[] q = ipv4(HOST4, FAR4, 17, 0x4000, udp(HOST4, FAR4, 1, 2, new byte[600]));
        IcmpErrors v4 = new IcmpErrors(576, new TokenBucket(10, 10));
        assertTrue(v.parse(q, 0, q.length));
        assertEquals(576, v4.tooBig(v, GW4, out, 0, 0));
        assertEquals(576, u16(out, 26));
    }

    @Test
    void staysQuietWhereTheRfcsSaySo() {
        byte[] fits = ipv4(HOST4, FAR4, 17, 0x4000, udp(HOST4, FAR4, 1, 2, new byte[100]));
        byte[] noDf = ipv4(HOST4, FAR4, 17, 0, udp(HOST4, FAR4, 1, 2, new byte[1500]));
        byte[] icmpError = ipv4(HOST4, FAR4, 1, 0x4000, icmp(HOST4, FAR4, 3, 1, 0, new byte[1500]));
        byte[] echo = ipv4(HOST4, FAR4, 1, 0x4000, icmp(HOST4, FAR4, 8, 0, 0, new byte[1500]));
        byte[] later = ipv4(HOST4, FAR4, 17, 0x4000 | 100, new byte[1500]);
        byte[] mcastSrc = ipv4(addr("224.0.0.5"), FAR4, 17, 0x4000, udp(HOST4, FAR4, 1, 2, new byte[1500]));
        byte[] zeroSrc = ipv4(addr("0.0.0.0"), FAR4, 17, 0x4000, udp(HOST4, FAR4, 1, 2, new byte[1500]));
        byte[] bcastDst = ipv4(HOST4, addr("255.255.255.255"), 17, 0x4000, udp(HOST4, FAR4, 1, 2, new byte[1500]));
        byte[] v6Error = ipv6(HOST6, FAR6, 58, new byte[0], icmp(HOST6, FAR6, 1, 0, 0, new byte[1500]));
        byte[] v6Unspec = ipv6(new byte[16], FAR6, 17, new byte[0], udp(HOST6, FAR6, 1, 2, new byte[1500]));
        byte[] v6Mcast = ipv6(addr("ff02::1"), FAR6, 17, new byte[0], udp(HOST6, FAR6, 1, 2, new byte[1500]));
        byte[] v6McastDst = ipv6(HOST6, addr("ff05::2"), 17, new byte[0], udp(HOST6, FAR6, 1, 2, new byte[1500]));
        byte[] v6Later = ipv6(HOST6, FAR6, 44, fragmentHeader(17, 100, true), new byte[1500]);
        Object[][] cases = {
            {fits, GW4, Outcome.NOT_NEEDED}, {noDf, GW4, Outcome.MAY_FRAGMENT}, {icmpError, GW4, Outcome.ICMP_ERROR},
            {echo, GW4, Outcome.SENT}, {later, GW4, Outcome.LATER_FRAGMENT}, {mcastSrc, GW4, Outcome.BAD_SOURCE},
            {zeroSrc, GW4, Outcome.BAD_SOURCE}, {bcastDst, GW4, Outcome.BAD_DESTINATION},
            {v6Error, GW6, Outcome.ICMP_ERROR}, {v6Unspec, GW6, Outcome.BAD_SOURCE}, {v6Mcast, GW6, Outcome.BAD_SOURCE},
            {v6McastDst, GW6, Outcome.SENT}, {v6Later, GW6, Outcome.LATER_FRAGMENT},
        };
        for (Object[] c : cases) {
            int n = build((byte[]) c[0], (byte[]) c[1]);
            assertEquals(c[2], errors.lastOutcome());
            assertEquals(c[2] == Outcome.SENT, n > 0);
        }
    }

    @Test
    void rateLimitedByTokenBucketOnTheClock() {
        IcmpErrors limited = new IcmpErrors(1420, new TokenBucket(2, 3)); // burst 3, then 2 per second
        byte[] p = ipv4(HOST4, FAR4, 17, 0x4000, udp(HOST4, FAR4, 1, 2, new byte[1500]));
        assertTrue(v.parse(p, 0, p.length));
        int sent = 0;
        for (int i = 0; i < 10; i++) {
            sent += limited.tooBig(v, GW4, out, 0, clock.nanoTime()) > 0 ? 1 : 0;
        }
        assertEquals(3, sent);
        assertEquals(Outcome.RATE_LIMITED, limited.lastOutcome());
        clock.advance(Duration.ofMillis(499));
        assertEquals(0, limited.tooBig(v, GW4, out, 0, clock.nanoTime()));
        clock.advance(Duration.ofMillis(1));
        assertTrue(limited.tooBig(v, GW4, out, 0, clock.nanoTime()) > 0);
        clock.advance(Duration.ofHours(1));
        sent = 0;
        for (int i = 0; i < 10; i++) {
            sent += limited.tooBig(v, GW4, out, 0, clock.nanoTime()) > 0 ? 1 : 0;
        }
        assertEquals(3, sent, "an idle hour refills only the burst");
    }
}
