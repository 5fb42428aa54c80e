package sitelink.os.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The netlink wire format (RFC 3549 §2.2, linux/netlink.h): a 16-byte header, a fixed family header (ifinfomsg,
 * ifaddrmsg, rtmsg), then type-length-value attributes, everything padded to 4 bytes. Integers are in host byte
 * order; addresses travel as their raw network-order bytes.
 */
final class NetlinkMessage {
    static final int HEADER_SIZE = 16;
    static final int NLMSG_ERROR = 2, NLMSG_DONE = 3;
    static final int NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ACK = 0x4, NLM_F_DUMP = 0x300,
            NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    /** In an error message's flags: the kernel appended extended-ack attributes after the echoed header. */
    static final int NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200;
    /** linux/netlink.h enum nlmsgerr_attrs. */
    static final int NLMSGERR_ATTR_MSG = 1;

    private NetlinkMessage() {
    }

    /** Builds one request: header, family header fields, attributes; {@link #finish} fills in length and sequence. */
    static final class Request {
        private final ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
        private final int type;

        Request(int type, int flags) {
            this.type = type;
            b.putInt(0).putShort((short) type).putShort((short) (flags | NLM_F_REQUEST)).putInt(0).putInt(0);
        }

        int type() {
            return type;
        }

        Request u8(int v) {
            b.put((byte) v);
            return this;
        }

        Request u16(int v) {
            b.putShort((short) v);
            return this;
        }

        Request u32(int v) {
            b.putInt(v);
            return this;
        }

        Request attr(int attrType, byte[] value) {
            b.putShort((short) (4 + value.length)).putShort((short) attrType).put(value);
            pad();
            return this;
        }

        Request attrU32(int attrType, int value) {
            return attr(attrType, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
        }

        /** A NUL-terminated string attribute (IFLA_IFNAME and friends). */
        Request attrString(int attrType, String value) {
            byte[] s = value.getBytes(StandardCharsets.UTF_8);
            byte[] z = new byte[s.length + 1];
            System.arraycopy(s, 0, z, 0, s.length);
            return attr(attrType, z);
        }

        private void pad() {
            while ((b.position() & 3) != 0) {
                b.put((byte) 0);
            }
        }

        byte[] finish(int seq) {
            pad();
            b.putInt(0, b.position());
            b.putInt(8, seq);
            byte[] out = new byte[b.position()];
            b.get(0, out);
            return out;
        }
    }

    /** One message from the kernel; {@code body} starts after the netlink header. */
    record Reply(int type, int flags, int seq, ByteBuffer body) {
        /** The attributes after a fixed family header of {@code fixedSize} bytes, by type (the last one wins). */
        Map<Integer, ByteBuffer> attributes(int fixedSize) {
            return parseAttributes(body, fixedSize);
        }

        /** For NLMSG_ERROR: the (negative) errno, 0 for a plain acknowledgement. */
        int error() {
            return body.getInt(0);
        }

        /** For NLMSG_ERROR: the kernel's own explanation (extended ack, NETLINK_EXT_ACK), when it gave one. */
        Optional<String> extendedAckMessage() {
            if ((flags & NLM_F_ACK_TLVS) == 0 || body.limit() < 4 + HEADER_SIZE) {
                return Optional.empty();
            }
            // int error, then the echoed request: only its header when capped, else the whole request.
            int echoed = (flags & NLM_F_CAPPED) != 0 ? HEADER_SIZE : align(body.getInt(4));
            if (4 + echoed > body.limit()) {
                return Optional.empty();
            }
            ByteBuffer msg = parseAttributes(body, 4 + echoed).get(NLMSGERR_ATTR_MSG);
            return msg == null ? Optional.empty() : Optional.of(string(msg)).filter(s -> !s.isEmpty());
        }
    }

    /** Splits one datagram from the socket into its messages. */
    static List<Reply> parse(ByteBuffer datagram) {
        ByteBuffer d = datagram.duplicate().order(ByteOrder.nativeOrder());
        List<Reply> out = new ArrayList<>();
        int off = 0;
        while (off + HEADER_SIZE <= d.limit()) {
            int len = d.getInt(off);
            if (len < HEADER_SIZE || off + len > d.limit()) {
                throw new IllegalStateException("malformed netlink message (length " + len + ")");
            }
            ByteBuffer body = d.slice(off + HEADER_SIZE, len - HEADER_SIZE).order(ByteOrder.nativeOrder());
            out.add(new Reply(d.getShort(off + 4) & 0xffff, d.getShort(off + 6) & 0xffff, d.getInt(off + 8), body));
            off += align(len);
        }
        return out;
    }

    static Map<Integer, ByteBuffer> parseAttributes(ByteBuffer body, int start) {
        Map<Integer, ByteBuffer> attrs = new HashMap<>();
        int off = start;
        while (off + 4 <= body.limit()) {
            int len = body.getShort(off) & 0xffff;
            if (len < 4 || off + len > body.limit()) {
                break;
            }
            // the top two bits are NLA_F_NESTED and NLA_F_NET_BYTEORDER, not part of the type
            int type = body.getShort(off + 2) & 0x3fff;
            attrs.put(type, body.slice(off + 4, len - 4).order(ByteOrder.nativeOrder()));
            off += align(len);
        }
        return attrs;
    }

    static String string(ByteBuffer attr) {
        byte[] b = new byte[attr.remaining()];
        attr.get(0, b);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    static byte[] bytes(ByteBuffer attr) {
        byte[] b = new byte[attr.remaining()];
        attr.get(0, b);
        return b;
    }

    static int align(int len) {
        return (len + 3) & ~3;
    }
}
