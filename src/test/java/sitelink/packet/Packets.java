package sitelink.packet;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Builds test packets byte by byte, with checksums from {@link #naiveChecksum}: a deliberately different
 * implementation from {@link Checksum} (ByteBuffer shorts, 32-bit fold at the end) so each checks the other.
 */
public final class Packets {
    private Packets() {
    }

    public static byte[] addr(String a) {
        try {
            return InetAddress.getByName(a).getAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** RFC 1071 checksum of the concatenated parts, written as plainly as possible. */
    public static int naiveChecksum(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        if (all.size() % 2 == 1) {
            all.write(0);
        }
        ByteBuffer b = ByteBuffer.wrap(all.toByteArray());
        long sum = 0;
        while (b.hasRemaining()) {
            sum += Short.toUnsignedInt(b.getShort());
        }
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        return (int) (~sum & 0xffff);
    }

    public static byte[] pseudo(byte[] src, byte[] dst, int protocol, int length) {
        ByteBuffer b = ByteBuffer.allocate(src.length * 2 + (src.length == 4 ? 4 : 8));
        b.put(src).put(dst);
        if (src.length == 4) {
            b.put((byte) 0).put((byte) protocol).putShort((short) length);
        } else {
            b.putInt(length).put(new byte[3]).put((byte) protocol);
        }
        return b.array();
    }

    /** A TCP header (options padded to 4 bytes) plus payload, checksum filled for src/dst. */
    public static byte[] tcp(byte[] src, byte[] dst, int sport, int dport, int flags, byte[] options, byte[] payload) {
        int optLen = (options.length + 3) & ~3;
        int hl = 20 + optLen;
        ByteBuffer b = ByteBuffer.allocate(hl + payload.length);
        b.putShort((short) sport).putShort((short) dport).putInt(0x01020304).putInt((flags & 0x10) != 0 ? 0x0a0b0c0d : 0);
        b.put((byte) ((hl / 4) << 4)).put((byte) flags).putShort((short) 64240).putShort((short) 0).putShort((short) 0);
        b.put(options).put(new byte[optLen - options.length]).put(payload);
        byte[] seg = b.array();
        setChecksum(seg, 16, naiveChecksum(pseudo(src, dst, 6, seg.length), seg));
        return seg;
    }

    public static byte[] udp(byte[] src, byte[] dst, int sport, int dport, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload.length)).putShort((short) 0);
        b.put(payload);
        byte[] seg = b.array();
        setChecksum(seg, 6, naiveChecksum(pseudo(src, dst, 17, seg.length), seg));
        return seg;
    }

    /** ICMP (v4, no pseudo-header) or ICMPv6 (when src is 16 bytes) message type/code with 4 bytes rest + data. */
    public static byte[] icmp(byte[] src, byte[] dst, int type, int code, int rest, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + data.length);
        b.put((byte) type).put((byte) code).putShort((short) 0).putInt(rest).put(data);
        byte[] m = b.array();
        setChecksum(m, 2, src.length == 4 ? naiveChecksum(m) : naiveChecksum(pseudo(src, dst, 58, m.length), m));
        return m;
    }

    /** An IPv4 packet; {@code fragField} is the flags/offset word (0x4000 = DF). */
    public static byte[] ipv4(byte[] src, byte[] dst, int protocol, int fragField, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length)).putShort((short) 0x1234)
                .putShort((short) fragField).put((byte) 64).put((byte) protocol).putShort((short) 0).put(src).put(dst);
        byte[] p = b.put(payload).array();
        byte[] header = java.util.Arrays.copyOf(p, 20);
        setChecksum(p, 10, naiveChecksum(header));
        return p;
    }

    /** An IPv6 packet; {@code headers} are extension headers already chained, {@code first} the first next-header. */
    public static byte[] ipv6(byte[] src, byte[] dst, int first, byte[] headers, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + headers.length + payload.length);
        b.putInt(0x60000000).putShort((short) (headers.length + payload.length)).put((byte) first).put((byte) 64);
        return b.put(src).put(dst).put(headers).put(payload).array();
    }

    /** One extension header of 8*n bytes: next header, length field, zero padding. */
    public static byte[] ext(int next, int units) {
        byte[] h = new byte[8 * units];
        h[0] = (byte) next;
        h[1] = (byte) (units - 1);
        h[2] = 1; // a PadN option, so the options are well formed
        h[3] = (byte) (8 * units - 4);
        return h;
    }

    public static byte[] fragmentHeader(int next, int offsetUnits, boolean more) {
        ByteBuffer b = ByteBuffer.allocate(8);
        b.put((byte) next).put((byte) 0).putShort((short) (offsetUnits << 3 | (more ? 1 : 0))).putInt(0x42);
        return b.array();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    public static int u16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    private static void setChecksum(byte[] b, int off, int c) {
        b[off] = (byte) (c >>> 8);
        b[off + 1] = (byte) c;
    }

    /** A TCP SYN option list as Linux sends it: MSS, SACK-permitted, timestamps, NOP, window scale. */
    public static byte[] linuxSynOptions(int mss) {
        return new byte[] {2, 4, (byte) (mss >>> 8), (byte) mss, 4, 2, 8, 10, 0, 0x12, 0x34, 0x56, 0, 0, 0, 0, 1, 3, 3,
                7};
    }
}
