package sitelink.os.tun;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * GRO for a TUN opened with offloads: consecutive in-order TCP segments of one flow, decrypted from one batch of
 * datagrams, are joined into one super-segment and written with a virtio_net_hdr that asks the kernel to treat it
 * as GSO (gso_size = the segments' MSS, partial checksum). The kernel's TCP then receives one large packet instead
 * of dozens, which is where most of a receiving gateway's kernel time went.
 *
 * <p>Only what the kernel's own tcp_gro_receive would merge is merged: IPv4 without options or fragments, or IPv6
 * with TCP as the next header; ACK with optional PSH and no other flag; identical addresses, ports, ack number,
 * window and TCP options; the next expected sequence number; every segment but the last exactly MSS long; and a
 * valid IPv4 header and TCP checksum (a merged packet's checksums are recomputed or partial, so the kernel would not
 * catch a bad segment).
 * Anything else is written as it came. One thread; {@link #flush()} at the end of every batch.
 */
public final class TcpCoalescer {
    private static final int H = VirtioNet.HEADER_LENGTH;
    private static final int MAX_IP_PACKET = 65535;
    private static final int TCP_ACK = 0x10, TCP_PSH = 0x08;
    private static final VarHandle BE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    /** Where packets go: the TUN, or a test's list. */
    interface Output {
        /** A plain IP packet. */
        void write(byte[] buf, int off, int len) throws IOException;

        /** A virtio_net_hdr followed by a packet. */
        void writeWithHeader(byte[] buf, int off, int len) throws IOException;
    }

    private final Output tun;
    /** virtio_net_hdr then the packet being built. */
    private final byte[] pending = new byte[H + MAX_IP_PACKET];
    private int length;
    private int segments;
    private boolean v4;
    private int l4;
    private int headers;
    private int mss;
    private int lastPayload;
    private int nextSeq;

    public TcpCoalescer(TunIo tun) {
        this(new Output() {
            @Override
            public void write(byte[] buf, int off, int len) throws IOException {
                tun.write(buf, off, len);
            }

            @Override
            public void writeWithHeader(byte[] buf, int off, int len) throws IOException {
                tun.writeWithHeader(buf, off, len);
            }
        });
        if (!tun.hasVnetHeader()) {
            throw new IllegalArgumentException("coalescing needs a TUN opened with offloads");
        }
    }

    TcpCoalescer(Output out) {
        this.tun = out;
    }

    /** Queues one IP packet ({@code len} is its exact length) for the TUN; writes earlier ones when it cannot join them. */
    public void add(byte[] p, int off, int len) throws IOException {
        int l4Off = transportOffset(p, off, len);
        if (l4Off < 0) {
            flush();
            tun.write(p, off, len);
            return;
        }
        int thl = (p[off + l4Off + 12] & 0xf0) >>> 2;
        int payload = len - l4Off - thl;
        boolean psh = (p[off + l4Off + 13] & TCP_PSH) != 0;
        if (segments > 0 && joins(p, off, len, l4Off, thl, payload)) {
            System.arraycopy(p, off + l4Off + thl, pending, H + length, payload);
            length += payload;
            nextSeq += payload;
            lastPayload = payload;
            segments++;
            if (psh) {
                pending[H + l4 + 13] |= TCP_PSH;
                flush();
            }
            return;
        }
        flush();
        System.arraycopy(p, off, pending, H, len);
        length = len;
        segments = 1;
        v4 = (p[off] & 0xf0) == 0x40;
        l4 = l4Off;
        headers = l4Off + thl;
        mss = payload;
        lastPayload = payload;
        nextSeq = (int) BE_INT.get(p, off + l4Off + 4) + payload;
        if (psh) {
            flush();
        }
    }

    /** Writes what is pending: as it came when it is one segment, else as one GSO super-segment. */
    public void flush() throws IOException {
        if (segments == 0) {
            return;
        }
        int n = segments;
        segments = 0;
        if (n == 1) {
            tun.write(pending, H, length);
            return;
        }
        int p = H;
        if (v4) {
            put16(pending, p + 2, length);
            put16(pending, p + 10, 0);
            put16(pending, p + 10, VirtioNet.finish(VirtioNet.sum(pending, p, 20, 0)));
        } else {
            put16(pending, p + 4, length - 40);
        }
        // Partial checksum, as the kernel expects with NEEDS_CSUM: the pseudo-header sum, folded, not complemented.
        long pseudo = (v4 ? VirtioNet.sum(pending, p + 12, 8, 0) : VirtioNet.sum(pending, p + 8, 32, 0)) + 6 + (length - l4);
        put16(pending, p + l4 + 16, ~VirtioNet.finish(pseudo) & 0xffff);
        Arrays.fill(pending, 0, H, (byte) 0);
        VirtioNet.putTcpGsoHeader(pending, v4, headers, mss, l4);
        tun.writeWithHeader(pending, 0, H + length);
    }

    /** The TCP header's offset if the packet may be merged at all, else -1. */
    private static int transportOffset(byte[] p, int off, int len) {
        if (len < 40) {
            return -1;
        }
        int l4;
        if ((p[off] & 0xff) == 0x45) {
            if (p[off + 9] != 6 || get16(p, off + 2) != len || (get16(p, off + 6) & 0x3fff) != 0) {
                return -1; // not TCP, padded, or a fragment
            }
            if (VirtioNet.finish(VirtioNet.sum(p, off, 20, 0)) != 0) {
                return -1; // as inet_gro_receive: merged, a bad header checksum would be recomputed and so accepted
            }
            l4 = 20;
        } else if ((p[off] & 0xf0) == 0x60) {
            if (len < 60 || p[off + 6] != 6 || get16(p, off + 4) != len - 40) {
                return -1;
            }
            l4 = 40;
        } else {
            return -1;
        }
        int thl = (p[off + l4 + 12] & 0xf0) >>> 2;
        int flags = p[off + l4 + 13] & 0xff;
        if (thl < 20 || l4 + thl >= len || (flags & ~TCP_PSH) != TCP_ACK) {
            return -1; // no payload, or SYN/FIN/RST/URG/ECE/CWR: those go alone, as GRO would flush on them
        }
        boolean isV4 = l4 == 20;
        long s = (isV4 ? VirtioNet.sum(p, off + 12, 8, 0) : VirtioNet.sum(p, off + 8, 32, 0)) + 6 + (len - l4);
        if (VirtioNet.finish(VirtioNet.sum(p, off + l4, len - l4, s)) != 0) {
            return -1; // a bad checksum stays visible to the kernel, which drops the packet
        }
        return l4;
    }

    private boolean joins(byte[] p, int off, int len, int l4Off, int thl, int payload) {
        if (l4Off != l4 || l4Off + thl != headers || payload > mss || lastPayload != mss
                || length + payload > MAX_IP_PACKET || (int) BE_INT.get(p, off + l4Off + 4) != nextSeq) {
            return false;
        }
        int q = H;
        if (v4) {
            // version/IHL/TOS, flags/fragment, TTL, protocol, addresses; not length, ID or header checksum
            if (!same(p, off, q, 0, 2) || !same(p, off, q, 6, 4) || !same(p, off, q, 12, 8)) {
                return false;
            }
        } else if (!same(p, off, q, 0, 4) || !same(p, off, q, 6, 34)) {
            return false;
        }
        int t = l4Off;
        // ports; ack; data offset, flags but PSH, window; urgent pointer; options
        return same(p, off, q, t, 4) && same(p, off, q, t + 8, 5)
                && ((p[off + t + 13] ^ pending[q + t + 13]) & ~TCP_PSH) == 0
                && same(p, off, q, t + 14, 2) && same(p, off, q, t + 18, thl - 18);
    }

    private boolean same(byte[] p, int off, int q, int from, int n) {
        return Arrays.equals(p, off + from, off + from + n, pending, q + from, q + from + n);
    }

    private static int get16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }
}
