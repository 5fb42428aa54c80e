package sitelink.os.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import sitelink.packet.Checksum;
import sitelink.packet.PacketView;

/**
 * Fuzzes the TSO segmenter {@link VirtioNet#segment} with what a TUN read may hand it. Two kinds of input:
 * <ul>
 * <li>a well-formed super-segment with fuzzer-chosen shape (IPv4 with or without options, IPv6 with or without a
 * hop-by-hop header, TCP options, flags, sequence number near the wrap, MSS, payload): every segment carries at most
 * MSS payload bytes, has a valid IPv4 header checksum and TCP checksum, the right length fields, consecutive
 * sequence numbers and IPv4 IDs, FIN/PSH only on the last and CWR only on the first, every other header byte as in
 * the super-segment, and the segments' payloads concatenate to the original payload; a plain packet with a partial
 * checksum (no GSO) comes out with a valid checksum;</li>
 * <li>arbitrary bytes: -1 or as many packets as the sink received, never an exception or a packet beyond the
 * segment buffer.</li>
 * </ul>
 * Seed corpus: src/test/resources/sitelink/os/tun/VirtioNetFuzzTestInputs/segment/.
 */
class VirtioNetFuzzTest {
    private static final int TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_CWR = 0x80;
    private final byte[] seg = new byte[65535];

    @FuzzTest(maxDuration = "20s")
    void segment(FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            arbitrary(data.consumeBytes(512));
            return;
        }
        boolean v4 = data.consumeBoolean();
        int ipOptions = v4 ? 4 * data.consumeInt(0, 10) : 8 * data.consumeInt(0, 1);
        int tcpOptions = 4 * data.consumeInt(0, 10);
        int flags = TCP_ACK | data.consumeInt(0, 255) & (TCP_FIN | TCP_PSH | TCP_CWR | 0x40 /* ECE */);
        int seq = -data.consumeInt(0, 3000); // near 2^32: the stream wraps inside the super-segment
        boolean gso = data.consumeBoolean();
        int mss = data.consumeInt(1, 2000);
        // At most 32 segments: more only repeat the same code and cost executions.
        byte[] payload = data.consumeBytes(gso ? Math.min(32 * mss, 8192) : 1500);
        byte[] packet = tcpPacket(v4, ipOptions, tcpOptions, flags, seq, 0x1234, payload, true);
        int l4 = (v4 ? 20 : 40) + ipOptions;
        int headers = l4 + 20 + tcpOptions;
        int gsoType = !gso ? VirtioNet.GSO_NONE : (v4 ? VirtioNet.GSO_TCPV4 : VirtioNet.GSO_TCPV6)
                | (data.consumeBoolean() ? VirtioNet.GSO_ECN : 0);
        byte[] in = withHeader(packet, gsoType, headers, mss, l4);

        List<byte[]> out = new ArrayList<>();
        int n = VirtioNet.segment(in, in.length, seg, (b, off, len) -> out.add(Arrays.copyOfRange(b, off, off + len)));
        assertEquals(out.size(), n);
        if (!gso) {
            assertEquals(1, n);
            assertChecksumsVerify(out.get(0));
            assertArrayEquals(withoutTcpChecksum(packet, l4), withoutTcpChecksum(out.get(0), l4), "a plain packet changed");
            return;
        }
        assertEquals((payload.length + mss - 1) / mss, n, "segment count for " + payload.length + " bytes at MSS " + mss);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            byte[] s = out.get(i);
            int carried = s.length - headers;
            assertTrue(carried >= 1 && carried <= mss, "segment " + i + " carries " + carried + " bytes at MSS " + mss);
            assertTrue(i == n - 1 || carried == mss, "a short segment before the last");
            assertChecksumsVerify(s);
            if (v4) {
                assertEquals(s.length, u16(s, 2), "IPv4 total length");
                assertEquals(0x1234 + i & 0xffff, u16(s, 4), "IPv4 ID");
            } else {
                assertEquals(s.length - 40, u16(s, 4), "IPv6 payload length");
            }
            assertEquals(seq + (i * mss), (int) u32(s, l4 + 4), "sequence number of segment " + i);
            int f = s[l4 + 13] & 0xff;
            int expected = flags & ~(i < n - 1 ? TCP_FIN | TCP_PSH : 0) & ~(i > 0 ? TCP_CWR : 0);
            assertEquals(expected, f, "flags of segment " + i + " of " + n);
            assertArrayEquals(invariantHeader(packet, v4, l4, headers), invariantHeader(s, v4, l4, headers),
                    "a header byte changed in segment " + i);
            stream.write(s, headers, carried);
        }
        assertArrayEquals(payload, stream.toByteArray(), "the segments do not carry the original payload");
    }

    private void arbitrary(byte[] in) {
        int[] packets = {0};
        int n = VirtioNet.segment(in, in.length, seg, (b, off, len) -> {
            assertTrue(off >= 0 && len >= 0 && off + len <= b.length, "a packet outside its buffer");
            packets[0]++;
        });
        assertTrue(n == -1 || n == packets[0], "returned " + n + " after " + packets[0] + " packets");
    }

    /**
     * An IPv4 or IPv6 TCP packet from 198.18.0.1 to 198.18.0.2 (2001:db8::1 to 2001:db8::2), ports 49153 → 80,
     * {@code ipOptions} bytes of IPv4 options (NOPs) or an IPv6 hop-by-hop header, {@code tcpOptions} bytes of TCP
     * options (NOPs). The TCP checksum is the pseudo-header sum a TSO TUN read leaves ({@code partial}) or complete.
     */
    static byte[] tcpPacket(boolean v4, int ipOptions, int tcpOptions, int flags, int seq, int id, byte[] payload,
            boolean partial) {
        int l4 = (v4 ? 20 : 40) + ipOptions;
        int thl = 20 + tcpOptions;
        byte[] p = new byte[l4 + thl + payload.length];
        if (v4) {
            p[0] = (byte) (0x40 | l4 / 4);
            put16(p, 2, p.length);
            put16(p, 4, id);
            p[6] = 0x40; // DF
            p[8] = 64;
            p[9] = 6;
            System.arraycopy(new byte[] {(byte) 198, 18, 0, 1, (byte) 198, 18, 0, 2}, 0, p, 12, 8);
            Arrays.fill(p, 20, l4, (byte) 1);
            put16(p, 10, Checksum.of(p, 0, l4));
        } else {
            p[0] = 0x60;
            put16(p, 4, p.length - 40);
            p[6] = (byte) (ipOptions > 0 ? 0 : 6);
            p[7] = 64;
            System.arraycopy(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8}, 0, p, 8, 4);
            p[23] = 1;
            System.arraycopy(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8}, 0, p, 24, 4);
            p[39] = 2;
            if (ipOptions > 0) {
                p[40] = 6; // hop-by-hop, 8 bytes: next header TCP, a PadN option
                p[42] = 1;
                p[43] = 4;
            }
        }
        put16(p, l4, 49153);
        put16(p, l4 + 2, 80);
        put32(p, l4 + 4, seq);
        put32(p, l4 + 8, 0x0a0b0c0d);
        p[l4 + 12] = (byte) (thl / 4 << 4);
        p[l4 + 13] = (byte) flags;
        put16(p, l4 + 14, 0xffff);
        Arrays.fill(p, l4 + 20, l4 + thl, (byte) 1);
        System.arraycopy(payload, 0, p, l4 + thl, payload.length);
        long pseudo = Checksum.pseudoHeader(p, v4 ? 12 : 8, v4 ? 16 : 24, v4 ? 4 : 16, 6, p.length - l4);
        put16(p, l4 + 16, partial ? Checksum.fold(pseudo) : Checksum.finish(Checksum.add(pseudo, p, l4, p.length - l4)));
        return p;
    }

    /** A virtio_net_hdr asking for a checksum (and segmentation unless GSO_NONE) before {@code packet}. */
    static byte[] withHeader(byte[] packet, int gsoType, int headers, int mss, int l4) {
        byte[] in = new byte[VirtioNet.HEADER_LENGTH + packet.length];
        in[0] = VirtioNet.F_NEEDS_CSUM;
        in[1] = (byte) gsoType;
        putLe16(in, 2, headers);
        putLe16(in, 4, mss);
        putLe16(in, 6, l4);
        putLe16(in, 8, 16);
        System.arraycopy(packet, 0, in, VirtioNet.HEADER_LENGTH, packet.length);
        return in;
    }

    /** A packet's IPv4 header checksum (when IPv4) and TCP checksum verify, read through {@link PacketView}. */
    static void assertChecksumsVerify(byte[] p) {
        PacketView v = new PacketView();
        assertTrue(v.parse(p, 0, p.length), "not a valid packet");
        assertEquals(PacketView.TCP, v.protocol());
        if (v.version() == 4) {
            assertEquals(0, Checksum.of(p, 0, v.ipHeaderLength()), "IPv4 header checksum");
        }
        assertEquals(0, Checksum.verifyTransport(v), "TCP checksum");
    }

    /** The header bytes segmentation must leave alone: all but lengths, IPv4 ID and checksum, seq, flags, TCP checksum. */
    private static byte[] invariantHeader(byte[] p, boolean v4, int l4, int headers) {
        byte[] h = Arrays.copyOf(p, headers);
        int[] zero = v4 ? new int[] {2, 3, 4, 5, 10, 11} : new int[] {4, 5};
        for (int i : zero) {
            h[i] = 0;
        }
        for (int i : new int[] {4, 5, 6, 7, 13, 16, 17}) {
            h[l4 + i] = 0;
        }
        return h;
    }

    private static byte[] withoutTcpChecksum(byte[] p, int l4) {
        byte[] c = p.clone();
        c[l4 + 16] = 0;
        c[l4 + 17] = 0;
        return c;
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    private static long u32(byte[] b, int off) {
        return (long) u16(b, off) << 16 | u16(b, off + 2);
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, int v) {
        put16(b, off, v >>> 16);
        put16(b, off + 2, v);
    }

    private static void putLe16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }
}
