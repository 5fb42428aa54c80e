package sitelink.os.tun;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The virtio_net_hdr a TUN opened with IFF_VNET_HDR puts before every packet (include/uapi/linux/virtio_net.h), and
 * TCP segmentation of what such a TUN hands us once TUNSETOFFLOAD allowed TSO: one read returns a TCP
 * "super-segment" of up to 64 KiB with one set of headers, and we cut it into MSS-sized IP packets with their own
 * lengths, IPv4 IDs, sequence numbers, flags and checksums, as the kernel's tcp_gso_segment would (RFC 9293 for TCP,
 * RFC 791 for the IPv4 header). The kernel hands such packets with a partial checksum (NEEDS_CSUM: only the
 * pseudo-header sum is in the field), so the transport checksum is always computed here.
 */
public final class VirtioNet {
    /** sizeof(struct virtio_net_hdr): flags, gso_type, hdr_len, gso_size, csum_start, csum_offset (little-endian). */
    public static final int HEADER_LENGTH = 10;
    static final int F_NEEDS_CSUM = 1;
    static final int GSO_NONE = 0, GSO_TCPV4 = 1, GSO_TCPV6 = 4, GSO_ECN = 0x80;
    private static final int PROTO_TCP = 6;
    private static final int TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_CWR = 0x80;
    private static final VarHandle BE_INT =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    /** Receives the packets {@link #segment} produces; the buffer is reused for the next one. */
    @FunctionalInterface
    public interface Sink {
        void accept(byte[] buf, int off, int len);
    }

    private VirtioNet() {
    }

    /**
     * Turns one TUN read ({@code in[0, len)}: virtio_net_hdr then the packet) into complete IP packets for
     * {@code sink}, using {@code seg} (at least 65535 bytes) to build segments. Returns the number of packets, or -1
     * when the header asks for something we did not enable (UDP segmentation) or does not fit the packet.
     */
    public static int segment(byte[] in, int len, byte[] seg, Sink sink) {
        if (len < HEADER_LENGTH) {
            return -1;
        }
        int flags = in[0] & 0xff;
        int gsoType = in[1] & 0xff & ~GSO_ECN;
        int gsoSize = le16(in, 4);
        int csumStart = le16(in, 6);
        int csumOffset = le16(in, 8);
        int p = HEADER_LENGTH;
        int plen = len - HEADER_LENGTH;
        if (gsoType == GSO_NONE) {
            if ((flags & F_NEEDS_CSUM) != 0) {
                if (csumStart + csumOffset + 2 > plen) {
                    return -1;
                }
                // The field holds the pseudo-header sum; the checksum covers csum_start to the end, field included.
                put16(in, p + csumStart + csumOffset, finish(sum(in, p + csumStart, plen - csumStart, 0)));
            }
            sink.accept(in, p, plen);
            return 1;
        }
        if (gsoType != GSO_TCPV4 && gsoType != GSO_TCPV6 || gsoSize == 0 || plen < 20) {
            return -1;
        }
        boolean v4 = (in[p] & 0xf0) == 0x40;
        int l4 = csumStart; // the TCP header's offset in the packet
        if (l4 + 20 > plen || v4 != (gsoType == GSO_TCPV4)) {
            return -1;
        }
        int headers = l4 + ((in[p + l4 + 12] & 0xf0) >>> 2);
        if (headers > plen) {
            return -1;
        }
        int seq0 = (int) BE_INT.get(in, p + l4 + 4);
        int tcpFlags = in[p + l4 + 13] & 0xff;
        int id0 = v4 ? get16(in, p + 4) : 0;
        int count = 0;
        for (int pos = headers; pos < plen; pos += gsoSize, count++) {
            int n = Math.min(gsoSize, plen - pos);
            boolean last = pos + n >= plen;
            int total = headers + n;
            System.arraycopy(in, p, seg, 0, headers);
            System.arraycopy(in, p + pos, seg, headers, n);
            if (v4) {
                int ihl = (seg[0] & 0x0f) * 4;
                put16(seg, 2, total);
                put16(seg, 4, id0 + count);
                put16(seg, 10, 0);
                put16(seg, 10, finish(sum(seg, 0, ihl, 0)));
            } else {
                put16(seg, 4, total - 40);
            }
            BE_INT.set(seg, l4 + 4, seq0 + (pos - headers));
            int f = tcpFlags;
            if (!last) {
                f &= ~(TCP_FIN | TCP_PSH);
            }
            if (count > 0) {
                f &= ~TCP_CWR;
            }
            seg[l4 + 13] = (byte) f;
            tcpChecksum(seg, v4, l4, total);
            sink.accept(seg, 0, total);
        }
        return count;
    }

    /**
     * Writes a virtio_net_hdr asking for TCP segmentation at {@code b[0, HEADER_LENGTH)}: NEEDS_CSUM, GSO_TCPV4 or
     * GSO_TCPV6, the headers' length, the segment size, and the TCP checksum at {@code l4} + 16.
     */
    public static void putTcpGsoHeader(byte[] b, boolean v4, int headers, int mss, int l4) {
        b[0] = F_NEEDS_CSUM;
        b[1] = (byte) (v4 ? GSO_TCPV4 : GSO_TCPV6);
        putLe16(b, 2, headers);
        putLe16(b, 4, mss);
        putLe16(b, 6, l4);
        putLe16(b, 8, 16);
    }

    private static void putLe16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    /** Writes a full TCP checksum into a packet whose lengths are final (RFC 9293 3.1, RFC 8200 8.1). */
    static void tcpChecksum(byte[] b, boolean v4, int l4, int total) {
        int l4Len = total - l4;
        long s = v4 ? sum(b, 12, 8, 0) : sum(b, 8, 32, 0);
        s += PROTO_TCP + l4Len;
        put16(b, l4 + 16, 0);
        put16(b, l4 + 16, finish(sum(b, l4, l4Len, s)));
    }

    /**
     * Adds {@code b[off, off+len)} as big-endian 16-bit words to {@code s}, four bytes at a time: a sum of 32-bit
     * words folds to the same ones'-complement sum, since 2^16 = 1 modulo 0xffff (RFC 1071 section 2).
     */
    static long sum(byte[] b, int off, int len, long s) {
        int i = off;
        int end4 = off + (len & ~3);
        for (; i < end4; i += 4) {
            s += (int) BE_INT.get(b, i) & 0xffffffffL;
        }
        if (i + 1 < off + len) {
            s += (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
            i += 2;
        }
        if (i < off + len) {
            s += (b[i] & 0xff) << 8;
        }
        return s;
    }

    static int finish(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return ~(int) s & 0xffff;
    }

    private static int le16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    private static int get16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }
}
