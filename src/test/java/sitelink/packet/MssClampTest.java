package sitelink.packet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sitelink.packet.Packets.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MssClampTest {
    static final byte[] A4 = addr("198.18.1.5");
    static final byte[] B4 = addr("198.18.2.10");
    static final byte[] A6 = addr("2001:db8:1::5");
    static final byte[] B6 = addr("2001:db8:2::10");
    final MssClamp clamp = new MssClamp(1420); // WireGuard's default MTU
    final PacketView v = new PacketView();

    /** The MSS option value found by a plain scan, and the checksum recomputed independently. */
    private void assertMssAndChecksum(byte[] p, int mss) {
        assertTrue(v.parse(p, 0, p.length));
        int tcp = v.l4Offset();
        byte[] seg = Arrays.copyOfRange(p, tcp, v.offset() + v.totalLength());
        byte[] src = Arrays.copyOfRange(p, v.sourceOffset(), v.sourceOffset() + v.addressLength());
        byte[] dst = Arrays.copyOfRange(p, v.destinationOffset(), v.destinationOffset() + v.addressLength());
        int stored = u16(seg, 16);
        seg[16] = seg[17] = 0;
        assertEquals(naiveChecksum(pseudo(src, dst, 6, seg.length), seg), stored, "TCP checksum");
        int found = -1;
        for (int i = 20; i + 3 < v.tcpHeaderLength(); i++) {
            if (seg[i] == 2 && seg[i + 1] == 4) {
                found = u16(seg, i + 2);
                break;
            }
        }
        assertEquals(mss, found);
    }

    @Test
    void clampsIpv4Syn() {
        byte[] p = ipv4(A4, B4, 6, 0x4000, tcp(A4, B4, 40000, 443, PacketView.SYN, linuxSynOptions(1460), new byte[0]));
        assertTrue(v.parse(p, 0, p.length));
        assertTrue(clamp.clamp(v));
        assertMssAndChecksum(p, 1380);
    }

    @Test
    void clampsIpv4SynAck() {
        byte[] p = ipv4(B4, A4, 6, 0x4000,
                tcp(B4, A4, 443, 40000, PacketView.SYN | PacketView.ACK, linuxSynOptions(8960), new byte[0]));
        assertTrue(v.parse(p, 0, p.length));
        assertTrue(clamp.clamp(v));
        assertMssAndChecksum(p, 1380);
    }

    @Test
    void clampsIpv6SynAndSynAckToMtuMinus60() {
        for (int flags : new int[] {PacketView.SYN, PacketView.SYN | PacketView.ACK}) {
            byte[] p = ipv6(A6, B6, 6, new byte[0], tcp(A6, B6, 40000, 22, flags, linuxSynOptions(1440), new byte[0]));
            assertTrue(v.parse(p, 0, p.length));
            assertTrue(clamp.clamp(v));
            assertMssAndChecksum(p, 1360);
        }
    }

    @Test
    void clampsBehindExtensionHeaders() {
        byte[] p = ipv6(A6, B6, 60, ext(6, 2), tcp(A6, B6, 40000, 22, PacketView.SYN, linuxSynOptions(1440), new byte[0]));
        assertTrue(v.parse(p, 0, p.length));
        assertTrue(clamp.clamp(v));
        assertMssAndChecksum(p, 1360);
    }

    @Test
    void clampsAnMssAtAnOddOffset() {
        // NOP, then MSS at TCP offset 21: the value straddles two checksum words
        byte[] options = {1, 2, 4, 0x05, (byte) 0xb4, 1, 1, 1};
        for (int flags : new int[] {PacketView.SYN, PacketView.SYN | PacketView.ACK}) {
            byte[] p = ipv4(A4, B4, 6, 0, tcp(A4, B4, 1234, 80, flags, options, new byte[0]));
            assertTrue(v.parse(p, 0, p.length));
            assertTrue(clamp.clamp(v));
            assertMssAndChecksum(p, 1380);
        }
    }

    @Test
    void leavesSmallMssNoMssAndNonSynAlone() {
        byte[] small = ipv4(A4, B4, 6, 0, tcp(A4, B4, 1, 2, PacketView.SYN, linuxSynOptions(1200), new byte[0]));
        byte[] none = ipv4(A4, B4, 6, 0, tcp(A4, B4, 1, 2, PacketView.SYN, new byte[] {1, 1, 4, 2}, new byte[0]));
        byte[] ack = ipv4(A4, B4, 6, 0, tcp(A4, B4, 1, 2, PacketView.ACK, linuxSynOptions(1460), new byte[0]));
        byte[] rst = ipv4(A4, B4, 6, 0, tcp(A4, B4, 1, 2, PacketView.SYN | PacketView.RST, linuxSynOptions(1460),
                new byte[0]));
        byte[] exact = ipv4(A4, B4, 6, 0, tcp(A4, B4, 1, 2, PacketView.SYN, linuxSynOptions(1380), new byte[0]));
        for (byte[] p : new byte[][] {small, none, ack, rst, exact}) {
            byte[] before = p.clone();
            assertTrue(v.parse(p, 0, p.length));
            assertFalse(clamp.clamp(v));
            assertArrayEquals(before, p);
        }
    }

    @Test
    void leavesMalformedOptionListsAlone() {
        byte[][] lists = {
            {3, 0, 2, 4, 0x05, (byte) 0xb4, 0, 0}, // option length 0 would loop forever
            {3, 9, 2, 4, 0x05, (byte) 0xb4, 0, 0}, // option runs past the header
            {0, 0, 2, 4, 0x05, (byte) 0xb4, 0, 0}, // after end-of-list
            {1, 1, 1, 2}, // kind 2 without room for its length
            {2, 3, 0x05, (byte) 0xb4}, // MSS with a wrong length
        };
        for (byte[] options : lists) {
            byte[] p = ipv4(A4, B4, 6, 0, tcp(A4, B4, 1, 2, PacketView.SYN, options, new byte[0]));
            byte[] before = p.clone();
            assertTrue(v.parse(p, 0, p.length));
            assertFalse(clamp.clamp(v), Arrays.toString(options));
            assertArrayEquals(before, p);
        }
    }

    @Test
    void canBeTurnedOff() {
        MssClamp off = new MssClamp(1420, false);
        byte[] p = ipv4(A4, B4, 6, 0, tcp(A4, B4, 1, 2, PacketView.SYN, linuxSynOptions(1460), new byte[0]));
        assertTrue(v.parse(p, 0, p.length));
        assertFalse(off.clamp(v));
        assertEquals(1380, clamp.maxMss(4));
        assertEquals(1360, clamp.maxMss(6));
        assertThrows(IllegalArgumentException.class, () -> new MssClamp(100));
    }
}
