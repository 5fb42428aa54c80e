package sitelink.os.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import sitelink.packet.Checksum;

/**
 * Fuzzes the GRO coalescer ({@link TcpCoalescer}) with one batch of packets as the UDP reader would decrypt them: TCP
 * segments of two flows (in order, out of order, repeated, with PSH, SYN or FIN, of MSS length or shorter, some with
 * a byte changed after their checksums were computed) and arbitrary bytes. What must hold: no exception; what reaches
 * the TUN, with every super-segment cut again as the kernel cuts it ({@link VirtioNet#segment}), is exactly the
 * packets that went in, in order (IPv4 ID and header checksum aside: the kernel renumbers a super-segment); every
 * super-segment carries a header the kernel accepts (NEEDS_CSUM, the right GSO type, header length, MSS and checksum
 * position) and a valid IPv4 header checksum; and only segments whose IPv4 and TCP checksums verify are merged, since
 * the kernel no longer checks a merged segment's checksums.
 * Seed corpus: src/test/resources/sitelink/os/tun/TcpCoalescerFuzzTestInputs/add/.
 */
class TcpCoalescerFuzzTest {
    private static final int TCP_SYN = 0x02, TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_ACK = 0x10;
    /** Small ones make long runs cheap; 48 segments of 1448 bytes pass the 64 KiB a super-segment may hold. */
    private static final int[] MSS = {1, 7, 64, 1448};

    /** What the coalescer wrote, in order; a super-segment keeps its virtio_net_hdr. */
    private record Written(byte[] bytes, boolean merged) {
    }

    @FuzzTest(maxDuration = "20s")
    void add(FuzzedDataProvider data) throws Exception {
        List<Written> written = new ArrayList<>();
        TcpCoalescer gro = new TcpCoalescer(new TcpCoalescer.Output() {
            @Override
            public void write(byte[] buf, int off, int len) {
                written.add(new Written(Arrays.copyOfRange(buf, off, off + len), false));
            }

            @Override
            public void writeWithHeader(byte[] buf, int off, int len) {
                written.add(new Written(Arrays.copyOfRange(buf, off, off + len), true));
            }
        });
        boolean[] v4 = {data.consumeBoolean(), data.consumeBoolean()};
        int[] tcpOptions = {4 * data.consumeInt(0, 3), 4 * data.consumeInt(0, 3)};
        int[] mss = {data.pickValue(MSS), data.pickValue(MSS)};
        int[] seq = {-data.consumeInt(0, 20000), data.consumeInt()};
        int[] id = {0, 0};
        List<byte[]> in = new ArrayList<>();
        while (data.remainingBytes() > 0 && in.size() < 48) {
            int kind = data.consumeInt(0, 9);
            byte[] p;
            if (kind == 9) {
                p = data.consumeBytes(120);
            } else if (kind == 8 && !in.isEmpty()) {
                p = in.get(data.consumeInt(0, in.size() - 1)).clone(); // a repeat, or a copy with a byte changed
                if (data.consumeBoolean() && p.length > 0) {
                    p[data.consumeInt(0, p.length - 1)] ^= (byte) data.consumeInt(1, 255);
                }
            } else {
                int f = kind & 1;
                int flags = data.pickValue(new int[] {TCP_ACK, TCP_ACK, TCP_ACK, TCP_ACK | TCP_PSH, TCP_ACK | TCP_FIN, TCP_SYN});
                int len = data.consumeBoolean() ? mss[f] : data.consumeInt(0, mss[f]);
                if (data.consumeInt(0, 7) == 0) {
                    seq[f] += data.consumeInt(-3000, 3000); // a gap or an overlap
                }
                p = VirtioNetFuzzTest.tcpPacket(v4[f], 0, tcpOptions[f], flags, seq[f], id[f]++, new byte[len], true);
                Arrays.fill(p, p.length - len, p.length, (byte) (f * 128 + seq[f])); // differs from its neighbours'
                fixTcpChecksum(p, v4[f]);
                seq[f] += len;
            }
            in.add(p);
            gro.add(p, 0, p.length);
            if (data.consumeInt(0, 15) == 0) {
                gro.flush(); // the end of a recvmmsg batch
            }
        }
        gro.flush();

        List<byte[]> out = new ArrayList<>();
        List<Boolean> wasMerged = new ArrayList<>();
        for (Written w : written) {
            if (!w.merged()) {
                out.add(w.bytes());
                wasMerged.add(false);
                continue;
            }
            byte[] b = w.bytes();
            byte[] packet = Arrays.copyOfRange(b, VirtioNet.HEADER_LENGTH, b.length);
            boolean isV4 = (packet[0] & 0xf0) == 0x40;
            int l4 = isV4 ? 20 : 40;
            int headers = l4 + ((packet[l4 + 12] & 0xf0) >>> 2);
            assertEquals(VirtioNet.F_NEEDS_CSUM, b[0], "flags");
            assertEquals(isV4 ? VirtioNet.GSO_TCPV4 : VirtioNet.GSO_TCPV6, b[1], "GSO type");
            assertEquals(headers, le16(b, 2), "hdr_len");
            assertEquals(l4, le16(b, 6), "csum_start");
            assertEquals(16, le16(b, 8), "csum_offset");
            assertTrue(le16(b, 4) > 0 && packet.length - headers > le16(b, 4), "gso_size below the payload");
            if (isV4) {
                assertEquals(0, Checksum.of(packet, 0, 20), "the super-segment's IPv4 header checksum");
                assertEquals(packet.length, VirtioNetFuzzTest.u16(packet, 2), "the super-segment's IPv4 length");
            } else {
                assertEquals(packet.length - 40, VirtioNetFuzzTest.u16(packet, 4), "the super-segment's IPv6 length");
            }
            int[] n = {0};
            VirtioNet.segment(b, b.length, new byte[65535], (s, off, len) -> {
                out.add(Arrays.copyOfRange(s, off, off + len));
                wasMerged.add(true);
                n[0]++;
            });
            assertTrue(n[0] >= 2, "a super-segment of one segment");
        }
        assertEquals(in.size(), out.size(), "packets in and out");
        for (int i = 0; i < in.size(); i++) {
            if (!wasMerged.get(i)) {
                assertArrayEquals(in.get(i), out.get(i), "packet " + i + " was changed");
                continue;
            }
            byte[] original = in.get(i);
            boolean isV4 = (original[0] & 0xf0) == 0x40;
            if (isV4) {
                assertEquals(0, Checksum.of(original, 0, 20), "packet " + i + " has a bad IPv4 header checksum but was merged");
            }
            VirtioNetFuzzTest.assertChecksumsVerify(original); // its TCP checksum too
            assertArrayEquals(withoutId(original, isV4), withoutId(out.get(i), isV4), "packet " + i + " changed by merging");
        }
    }

    /** The IPv4 ID and header checksum cleared: the kernel numbers a super-segment's packets itself. */
    private static byte[] withoutId(byte[] p, boolean v4) {
        byte[] c = p.clone();
        if (v4) {
            c[4] = c[5] = c[10] = c[11] = 0;
        }
        return c;
    }

    private static void fixTcpChecksum(byte[] p, boolean v4) {
        int l4 = v4 ? 20 : 40;
        VirtioNetFuzzTest.put16(p, l4 + 16, 0);
        long pseudo = Checksum.pseudoHeader(p, v4 ? 12 : 8, v4 ? 16 : 24, v4 ? 4 : 16, 6, p.length - l4);
        VirtioNetFuzzTest.put16(p, l4 + 16, Checksum.finish(Checksum.add(pseudo, p, l4, p.length - l4)));
    }

    private static int le16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }
}
