package sitelink.os.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * GRO on the way to the TUN: what the coalescer merges must re-segment (as the kernel would) into exactly the packets
 * that went in, and what it must not merge (gaps, bad checksums, other flows) must reach the TUN unchanged.
 */
class TcpCoalescerTest {
    private static final int TCP_ACK = 0x10, TCP_PSH = 0x08;

    /** What the coalescer wrote: plain packets, and header-prefixed super-segments. */
    private final List<byte[]> plain = new ArrayList<>();
    private final List<byte[]> merged = new ArrayList<>();
    private final TcpCoalescer gro = new TcpCoalescer(new TcpCoalescer.Output() {
        @Override
        public void write(byte[] buf, int off, int len) {
            plain.add(Arrays.copyOfRange(buf, off, off + len));
        }

        @Override
        public void writeWithHeader(byte[] buf, int off, int len) {
            merged.add(Arrays.copyOfRange(buf, off, off + len));
        }
    });

    /** Real segments with valid checksums: made by segmenting a super-segment, as the sending gateway does. */
    private static List<byte[]> segments(boolean v4, int count, int mss, int lastPayload, int flags) {
        byte[] payload = new byte[(count - 1) * mss + lastPayload];
        new Random(count).nextBytes(payload);
        byte[] in = VirtioNetTest.superSegment(v4, v4 ? VirtioNet.GSO_TCPV4 : VirtioNet.GSO_TCPV6, mss, payload, flags);
        List<byte[]> out = new ArrayList<>();
        VirtioNet.segment(in, in.length, new byte[65535], (b, off, len) -> out.add(Arrays.copyOfRange(b, off, off + len)));
        return out;
    }

    private static List<byte[]> resegment(byte[] withHeader) {
        List<byte[]> out = new ArrayList<>();
        VirtioNet.segment(withHeader, withHeader.length, new byte[65535], (b, off, len) -> out.add(Arrays.copyOfRange(b, off, off + len)));
        return out;
    }

    @Test
    void inOrderSegmentsOfOneFlowBecomeOneSuperSegmentThatResegmentsToTheOriginals() throws Exception {
        for (boolean v4 : new boolean[] {true, false}) {
            plain.clear();
            merged.clear();
            List<byte[]> in = segments(v4, 5, 1368, 700, TCP_ACK | TCP_PSH);
            for (byte[] p : in) {
                gro.add(p, 0, p.length);
            }
            gro.flush();
            assertEquals(List.of(), plain);
            assertEquals(1, merged.size(), "one write for five segments");
            byte[] m = merged.get(0);
            assertEquals(VirtioNet.F_NEEDS_CSUM, m[0]);
            assertEquals(v4 ? VirtioNet.GSO_TCPV4 : VirtioNet.GSO_TCPV6, m[1]);
            assertEquals(1368, (m[4] & 0xff) | (m[5] & 0xff) << 8, "gso_size is the MSS");
            List<byte[]> again = resegment(m);
            assertEquals(in.size(), again.size());
            for (int i = 0; i < in.size(); i++) {
                byte[] a = in.get(i).clone();
                byte[] b = again.get(i).clone();
                if (v4) { // the IPv4 ID is the one field a merge does not keep per segment
                    a[4] = b[4] = 0;
                    a[5] = b[5] = 0;
                    a[10] = b[10] = 0;
                    a[11] = b[11] = 0;
                }
                assertArrayEquals(a, b, "segment " + i);
            }
        }
    }

    @Test
    void aGapABadChecksumOrAPacketWithoutPayloadIsNotMerged() throws Exception {
        List<byte[]> in = segments(true, 4, 1000, 1000, TCP_ACK);
        gro.add(in.get(0), 0, in.get(0).length);
        gro.add(in.get(2), 0, in.get(2).length); // segment 1 was lost: a gap
        byte[] bad = in.get(3).clone();
        bad[bad.length - 1] ^= 1; // payload corrupted after the checksum was computed
        gro.add(bad, 0, bad.length);
        gro.flush();
        assertEquals(List.of(), merged);
        assertEquals(3, plain.size());
        assertArrayEquals(bad, plain.get(2), "a bad packet reaches the kernel as it came, to be dropped there");

        plain.clear();
        byte[] ack = Arrays.copyOf(in.get(0), 20 + 32); // a pure ACK: headers only
        ack[2] = 0;
        ack[3] = 52;
        gro.add(ack, 0, ack.length);
        gro.flush();
        assertEquals(1, plain.size());
    }

    @Test
    void aSegmentWithABadIpv4HeaderChecksumIsNotMerged() throws Exception {
        // The kernel's GRO refuses these (inet_gro_receive) and ip_rcv drops them; a merge would recompute the header
        // checksum and so deliver a packet the kernel drops when it comes alone. Found by TcpCoalescerFuzzTest.
        for (int corrupt : new int[] {0, 1}) {
            plain.clear();
            merged.clear();
            List<byte[]> in = segments(true, 3, 1000, 1000, TCP_ACK);
            byte[] bad = in.get(corrupt).clone();
            bad[11] ^= 1; // the header checksum; the TCP checksum does not cover it
            in.set(corrupt, bad);
            for (byte[] p : in) {
                gro.add(p, 0, p.length);
            }
            gro.flush();
            assertEquals(true, plain.size() > corrupt, "the bad packet was merged");
            assertArrayEquals(bad, plain.get(corrupt), "the bad packet reaches the kernel as it came, to be dropped there");
            for (byte[] m : merged) {
                for (byte[] s : resegment(m)) {
                    assertEquals(false, Arrays.equals(s, 20, s.length, bad, 20, bad.length), "the bad packet was merged");
                }
            }
        }
    }

    @Test
    void aShortSegmentEndsTheMergeAndPshFlushesAtOnce() throws Exception {
        List<byte[]> in = segments(false, 3, 1200, 500, TCP_ACK | TCP_PSH);
        for (byte[] p : in) {
            gro.add(p, 0, p.length);
        }
        assertEquals(1, merged.size(), "PSH on the last segment wrote the merge without waiting for flush()");
        gro.flush();
        assertEquals(1, merged.size());
        assertEquals(List.of(), plain);
    }
}
