package sitelink.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sitelink.packet.Packets.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PacketViewTest {
    static final byte[] A4 = addr("198.18.1.5");
    static final byte[] B4 = addr("198.18.2.10");
    static final byte[] A6 = addr("2001:db8:1::5");
    static final byte[] B6 = addr("2001:db8:2::10");
    final PacketView v = new PacketView();

    @Test
    void readsIpv4TcpAtAnOffsetIgnoringPadding() {
        byte[] p = ipv4(A4, B4, 6, 0x4000, tcp(A4, B4, 40000, 443, PacketView.SYN, linuxSynOptions(1460), new byte[0]));
        byte[] buf = concat(new byte[7], p, new byte[16]); // WireGuard pads to 16 bytes
        assertTrue(v.parse(buf, 7, p.length + 16));
        assertEquals(4, v.version());
        assertEquals(p.length, v.totalLength());
        assertEquals(20, v.ipHeaderLength());
        assertEquals(6, v.protocol());
        assertEquals(27, v.l4Offset());
        assertEquals(40000, v.sourcePort());
        assertEquals(443, v.destinationPort());
        assertEquals(PacketView.SYN, v.tcpFlags());
        assertEquals(40, v.tcpHeaderLength());
        assertTrue(v.dontFragment());
        assertFalse(v.isFragment());
        assertEquals(7 + 12, v.sourceOffset());
        assertEquals(0, Checksum.verifyTransport(v));
    }

    @Test
    void walksIpv6ExtensionHeadersToUdp() {
        byte[] headers = concat(ext(60, 1), ext(44, 2), fragmentHeader(17, 0, true));
        byte[] p = ipv6(A6, B6, 0, headers, udp(A6, B6, 5353, 53, new byte[12]));
        assertTrue(v.parse(p, 0, p.length));
        assertEquals(17, v.protocol());
        assertEquals(40 + 8 + 16 + 8, v.ipHeaderLength());
        assertEquals(53, v.destinationPort());
        assertTrue(v.isFragment());
        assertTrue(v.isFirstFragment());
        assertTrue(v.hasTransport());
    }

    @Test
    void laterFragmentsHaveNoPorts() {
        byte[] p6 = ipv6(A6, B6, 44, fragmentHeader(6, 185, false), new byte[40]);
        assertTrue(v.parse(p6, 0, p6.length));
        assertFalse(v.isFirstFragment());
        assertFalse(v.hasTransport());
        assertEquals(6, v.protocol());
        byte[] p4 = ipv4(A4, B4, 17, 0x20b9, new byte[40]);
        assertTrue(v.parse(p4, 0, p4.length));
        assertFalse(v.isFirstFragment());
        assertFalse(v.hasTransport());
        assertEquals(0, v.destinationPort());
    }

    @Test
    void atomicFragmentIsNotAFragment() {
        byte[] p = ipv6(A6, B6, 44, fragmentHeader(58, 0, false), icmp(A6, B6, 128, 0, 0x00070001, new byte[8]));
        assertTrue(v.parse(p, 0, p.length));
        assertFalse(v.isFragment());
        assertTrue(v.isIcmpEcho());
        assertEquals(7, v.icmpId());
    }

    @Test
    void readsIcmpTypeAndEchoId() {
        byte[] p = ipv4(A4, B4, 1, 0, icmp(A4, B4, 8, 0, 0x12340001, new byte[56]));
        assertTrue(v.parse(p, 0, p.length));
        assertEquals(8, v.icmpType());
        assertEquals(0x1234, v.icmpId());
        assertTrue(v.isIcmpEcho());
        assertFalse(v.isIcmpError());
    }

    @Test
    void rejectsLengthFieldsThatLie() {
        byte[] p = ipv4(A4, B4, 17, 0, udp(A4, B4, 1, 2, new byte[4]));
        assertFalse(v.parse(p, 0, p.length - 1), "total length beyond the buffer");
        byte[] shortTotal = p.clone();
        shortTotal[3] = 19;
        assertFalse(v.parse(shortTotal, 0, p.length), "total length below the header");
        byte[] ihl = p.clone();
        ihl[0] = 0x44;
        assertFalse(v.parse(ihl, 0, p.length), "IHL 4");
        byte[] p6 = ipv6(A6, B6, 17, new byte[0], udp(A6, B6, 1, 2, new byte[4]));
        p6[5]++;
        assertFalse(v.parse(p6, 0, p6.length), "payload length beyond the buffer");
        assertFalse(v.valid());
    }

    @Test
    void rejectsBadTransportHeaders() {
        byte[] seg = tcp(A4, B4, 1, 2, PacketView.ACK, new byte[0], new byte[0]);
        seg[12] = 0x40; // data offset 4
        byte[] p = ipv4(A4, B4, 6, 0, seg);
        assertFalse(v.parse(p, 0, p.length));
        seg[12] = (byte) 0xf0; // 60 bytes, longer than the segment
        p = ipv4(A4, B4, 6, 0, seg);
        assertFalse(v.parse(p, 0, p.length));
        byte[] tinyFirstFragment = ipv4(A4, B4, 6, 0x2000, new byte[8]);
        assertFalse(v.parse(tinyFirstFragment, 0, tinyFirstFragment.length), "RFC 1858 tiny fragment");
        byte[] overlap = ipv4(A4, B4, 6, 0x0001, new byte[16]);
        assertFalse(v.parse(overlap, 0, overlap.length), "RFC 1858 offset-1 TCP fragment");
    }

    @Test
    void rejectsBadExtensionChains() {
        byte[] late = ipv6(A6, B6, 60, concat(ext(0, 1), ext(17, 1)), udp(A6, B6, 1, 2, new byte[0]));
        assertFalse(v.parse(late, 0, late.length), "hop-by-hop after another header");
        byte[] chain = new byte[0];
        for (int i = 0; i < PacketView.MAX_EXTENSION_HEADERS + 1; i++) {
            chain = concat(chain, ext(i == PacketView.MAX_EXTENSION_HEADERS ? 17 : 60, 1));
        }
        byte[] deep = ipv6(A6, B6, 60, chain, udp(A6, B6, 1, 2, new byte[0]));
        assertFalse(v.parse(deep, 0, deep.length), "chain deeper than the limit");
        byte[] longExt = ext(17, 1);
        longExt[1] = 9; // claims 80 bytes
        byte[] cut = ipv6(A6, B6, 60, longExt, udp(A6, B6, 1, 2, new byte[0]));
        assertFalse(v.parse(cut, 0, cut.length), "extension header past the end");
    }

    @Test
    void quotedPacketsMayBeCutShort() {
        byte[] p = ipv4(A4, B4, 6, 0x4000, tcp(A4, B4, 40000, 443, PacketView.ACK, new byte[0], new byte[1400]));
        assertFalse(v.parse(p, 0, 28));
        assertTrue(v.parseQuoted(p, 0, 28));
        assertEquals(443, v.destinationPort());
        assertEquals(8, v.l4Length());
    }

    @Test
    void neverThrowsOnGarbageArguments() {
        assertFalse(v.parse(new byte[10], 8, 5));
        assertFalse(v.parse(new byte[10], -1, 5));
        assertFalse(v.parse(null, 0, 0));
        assertFalse(v.parse(new byte[] {0x45}, 0, 1));
        assertFalse(v.parse(new byte[60], 0, 60)); // version 0
        byte[] x = new byte[40];
        Arrays.fill(x, (byte) 0x60);
        assertFalse(v.parse(x, 0, 40));
    }

    @Test
    void ipHeaderStaticsStillAgree() {
        byte[] p = ipv6(A6, B6, 17, new byte[0], udp(A6, B6, 1, 2, new byte[4]));
        assertEquals(6, IpHeader.version(p, 0, p.length));
        assertEquals(p.length, IpHeader.totalLength(p, 0, p.length));
        assertTrue(v.parse(p, 0, p.length));
        assertEquals(IpHeader.destinationOffset(6), v.destinationOffset());
    }
}
