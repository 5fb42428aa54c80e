package sitelink.os.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import sitelink.packet.Checksum;

/**
 * TCP segmentation of TUN super-segments: every segment must be a packet a receiver accepts (valid IPv4 header
 * checksum and TCP checksum, right lengths) and together they must carry exactly the original byte stream.
 */
class VirtioNetTest {
    private static final int TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_CWR = 0x80;

    /** A virtio_net_hdr followed by an IPv4 or IPv6 TCP packet with {@code payload}, as a TSO TUN read returns it. */
    static byte[] superSegment(boolean v4, int gsoType, int gsoSize, byte[] payload, int tcpFlags) {
        int ipLen = v4 ? 20 : 40;
        int tcpLen = 32; // with 12 bytes of options (timestamps), copied into every segment
        byte[] pkt = new byte[ipLen + tcpLen + payload.length];
        if (v4) {
            pkt[0] = 0x45;
            pkt[2] = (byte) (pkt.length >>> 8);
            pkt[3] = (byte) pkt.length;
            pkt[4] = 0x12;
            pkt[5] = 0x34; // IPv4 ID 0x1234
            pkt[8] = 64;
            pkt[9] = 6;
            System.arraycopy(new byte[] {(byte) 198, 18, 0, 1, (byte) 198, 18, 0, 2}, 0, pkt, 12, 8);
            int c = Checksum.of(pkt, 0, 20);
            pkt[10] = (byte) (c >>> 8);
            pkt[11] = (byte) c;
        } else {
            pkt[0] = 0x60;
            int pl = pkt.length - 40;
            pkt[4] = (byte) (pl >>> 8);
            pkt[5] = (byte) pl;
            pkt[6] = 6;
            pkt[7] = 64;
            pkt[8] = 0x20;
            pkt[9] = 0x01;
            pkt[10] = 0x0d;
            pkt[11] = (byte) 0xb8;
            pkt[23] = 1;
            pkt[24] = 0x20;
            pkt[25] = 0x01;
            pkt[26] = 0x0d;
            pkt[27] = (byte) 0xb8;
            pkt[39] = 2;
        }
        int t = ipLen;
        pkt[t] = (byte) 0xc0;
        pkt[t + 1] = 0x01; // source port 49153
        pkt[t + 3] = 80;
        pkt[t + 4] = (byte) 0xff; // sequence number 0xfffffff0: the stream wraps inside this super-segment
        pkt[t + 5] = (byte) 0xff;
        pkt[t + 6] = (byte) 0xff;
        pkt[t + 7] = (byte) 0xf0;
        pkt[t + 12] = (byte) (tcpLen / 4 << 4);
        pkt[t + 13] = (byte) tcpFlags;
        pkt[t + 14] = (byte) 0xff;
        pkt[t + 20] = 1; // NOP NOP timestamp option
        pkt[t + 21] = 1;
        pkt[t + 22] = 8;
        pkt[t + 23] = 10;
        System.arraycopy(payload, 0, pkt, ipLen + tcpLen, payload.length);
        // As the kernel leaves it: the pseudo-header sum (not complemented) in the TCP checksum field.
        long pseudo = Checksum.pseudoHeader(pkt, v4 ? 12 : 8, v4 ? 16 : 24, v4 ? 4 : 16, 6, pkt.length - ipLen);
        pkt[t + 16] = (byte) (Checksum.fold(pseudo) >>> 8);
        pkt[t + 17] = (byte) Checksum.fold(pseudo);
        byte[] out = new byte[VirtioNet.HEADER_LENGTH + pkt.length];
        out[0] = VirtioNet.F_NEEDS_CSUM;
        out[1] = (byte) gsoType;
        out[2] = (byte) (ipLen + tcpLen);
        out[4] = (byte) gsoSize;
        out[5] = (byte) (gsoSize >>> 8);
        out[6] = (byte) ipLen; // csum_start: the TCP header
        out[8] = 16; // csum_offset: the TCP checksum field
        System.arraycopy(pkt, 0, out, VirtioNet.HEADER_LENGTH, pkt.length);
        return out;
    }

    private static List<byte[]> segment(byte[] in) {
        List<byte[]> out = new ArrayList<>();
        int n = VirtioNet.segment(in, in.length, new byte[65535], (b, off, len) -> out.add(Arrays.copyOfRange(b, off, off + len)));
        assertEquals(out.size(), n);
        return out;
    }

    private static int u16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    private static long u32(byte[] b, int off) {
        return ((long) u16(b, off) << 16) | u16(b, off + 2);
    }

    private static void assertValidTcp(byte[] p, boolean v4) {
        int ip = v4 ? 20 : 40;
        if (v4) {
            assertEquals(0, Checksum.of(p, 0, 20), "IPv4 header checksum");
            assertEquals(p.length, u16(p, 2), "IPv4 total length");
        } else {
            assertEquals(p.length - 40, u16(p, 4), "IPv6 payload length");
        }
        long pseudo = Checksum.pseudoHeader(p, v4 ? 12 : 8, v4 ? 16 : 24, v4 ? 4 : 16, 6, p.length - ip);
        assertEquals(0, Checksum.finish(Checksum.add(pseudo, p, ip, p.length - ip)), "TCP checksum");
    }

    @Test
    void aTcpSuperSegmentBecomesMssSizedPacketsThatCarryTheStreamExactly() {
        for (boolean v4 : new boolean[] {true, false}) {
            byte[] payload = new byte[3 * 1368 + 501]; // three full segments and an odd-sized last one
            new Random(5).nextBytes(payload);
            int flags = TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR;
            List<byte[]> segs = segment(superSegment(v4, v4 ? VirtioNet.GSO_TCPV4 : VirtioNet.GSO_TCPV6, 1368, payload, flags));
            assertEquals(4, segs.size());
            int ip = v4 ? 20 : 40;
            int hdr = ip + 32;
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            long expectedSeq = 0xfffffff0L;
            for (int i = 0; i < segs.size(); i++) {
                byte[] s = segs.get(i);
                assertValidTcp(s, v4);
                assertEquals(i < 3 ? hdr + 1368 : hdr + 501, s.length);
                assertEquals(expectedSeq, u32(s, ip + 4), "sequence number of segment " + i);
                expectedSeq = (expectedSeq + s.length - hdr) & 0xffffffffL;
                int f = s[ip + 13] & 0xff;
                boolean last = i == segs.size() - 1;
                assertEquals(last, (f & (TCP_FIN | TCP_PSH)) == (TCP_FIN | TCP_PSH), "FIN and PSH only on the last");
                assertEquals(i == 0, (f & TCP_CWR) != 0, "CWR only on the first");
                assertEquals(TCP_ACK, f & TCP_ACK);
                if (v4) {
                    assertEquals(0x1234 + i, u16(s, 4), "IPv4 IDs count up");
                }
                assertEquals(0x0101080a, (int) u32(s, ip + 20), "options copied into every segment");
                stream.write(s, hdr, s.length - hdr);
            }
            assertArrayEquals(payload, stream.toByteArray());
        }
    }

    @Test
    void aPlainPacketWithAPartialChecksumGetsItsChecksumCompleted() {
        byte[] payload = new byte[777];
        new Random(9).nextBytes(payload);
        byte[] in = superSegment(true, VirtioNet.GSO_NONE, 0, payload, TCP_ACK);
        List<byte[]> segs = segment(in);
        assertEquals(1, segs.size());
        assertValidTcp(segs.get(0), true);
        assertEquals(in.length - VirtioNet.HEADER_LENGTH, segs.get(0).length);
    }

    @Test
    void headersThatDoNotFitThePacketAreRefused() {
        byte[] in = superSegment(true, VirtioNet.GSO_TCPV4, 1000, new byte[3000], TCP_ACK);
        assertEquals(-1, VirtioNet.segment(in, 30, new byte[65535], (b, o, l) -> { }), "truncated");
        in[1] = 5; // UDP segmentation: never enabled, so never expected
        assertEquals(-1, VirtioNet.segment(in, in.length, new byte[65535], (b, o, l) -> { }));
        in[1] = VirtioNet.GSO_TCPV6; // says IPv6 but the packet is IPv4
        assertEquals(-1, VirtioNet.segment(in, in.length, new byte[65535], (b, o, l) -> { }));
    }
}
