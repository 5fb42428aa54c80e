package sitelink.packet;

/**
 * The few IPv4/IPv6 header facts the tunnel's routing needs, read in place from a packet buffer without
 * allocating. Every method is total: a malformed header gives {@link #INVALID}, never an exception.
 */
public final class IpHeader {
    public static final int INVALID = -1;

    private IpHeader() {
    }

    /** 4 or 6 when {@code buf[off, off+len)} starts with a complete header of that version, else INVALID. */
    public static int version(byte[] buf, int off, int len) {
        if (len < 1) {
            return INVALID;
        }
        int v = (buf[off] & 0xff) >>> 4;
        if (v == 4 && len >= 20 && (buf[off] & 0x0f) >= 5) {
            return 4;
        }
        if (v == 6 && len >= 40) {
            return 6;
        }
        return INVALID;
    }

    /** The packet's length according to its header (without WireGuard's padding), or INVALID if it exceeds len. */
    public static int totalLength(byte[] buf, int off, int len) {
        int total = switch (version(buf, off, len)) {
            case 4 -> u16(buf, off + 2);
            case 6 -> 40 + u16(buf, off + 4);
            default -> INVALID;
        };
        int min = version(buf, off, len) == 4 ? (buf[off] & 0x0f) * 4 : 40;
        return total >= min && total <= len ? total : INVALID;
    }

    /** Offset of the source address; the caller has checked {@link #version}. */
    public static int sourceOffset(int version) {
        return version == 4 ? 12 : 8;
    }

    /** Offset of the destination address; the caller has checked {@link #version}. */
    public static int destinationOffset(int version) {
        return version == 4 ? 16 : 24;
    }

    /** Address length in bytes for the version. */
    public static int addressLength(int version) {
        return version == 4 ? 4 : 16;
    }

    private static int u16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }
}
