package sitelink.packet;

/**
 * The outer header's TOS / traffic class byte of a tunnel datagram, from the inner packet it carries, and the ECN
 * rules for taking it off again (RFC 6040, "normal mode", which RFC 6040 requires of every new tunnel).
 *
 * <p>Sealing: the DSCP (upper six bits) is the inner packet's ({@link #COPY}) or a fixed one (a site's
 * {@code dscp:} setting, 0..63); the ECN field (lower two bits) is copied outward as it is, CE included, so a
 * congested WAN router can mark the outer header. Opening: the inner ECN field becomes CE when the outer one says CE
 * and the inner packet is ECN-capable; an outer CE over a not-ECN-capable inner packet means the packet is dropped
 * (the router would have dropped it, had it not seen ECT outside); an outer ECT(1) over an inner ECT(0) becomes
 * ECT(1). IPv4's header checksum follows the change.
 */
public final class OuterTos {
    /** The site setting that copies the inner packet's DSCP outward (the default). */
    public static final int COPY = -1;
    /** Returned by {@link #decapsulate} for a packet RFC 6040 says to drop. */
    public static final int DROP = -1;
    private static final int NOT_ECT = 0, ECT1 = 1, ECT0 = 2, CE = 3;

    private OuterTos() {
    }

    /** The inner packet's TOS (IPv4) or traffic class (IPv6) byte; 0 for what is not an IP packet. */
    public static int of(byte[] p, int off, int len) {
        int version = IpHeader.version(p, off, len);
        if (version == 4) {
            return p[off + 1] & 0xff;
        }
        if (version == 6) {
            return ((p[off] & 0x0f) << 4) | ((p[off + 1] & 0xf0) >>> 4);
        }
        return 0;
    }

    /** The outer TOS for an inner packet: {@code dscp} is {@link #COPY} or a DSCP 0..63; ECN always copied. */
    public static int encapsulate(int dscp, byte[] p, int off, int len) {
        int inner = of(p, off, len);
        int code = dscp == COPY ? inner >>> 2 : dscp;
        return (code << 2) | (inner & 3);
    }

    /**
     * Applies RFC 6040's decapsulation to the inner packet {@code p[off, off+len)} whose datagram arrived with
     * {@code outerTos}: rewrites its ECN field in place where the table says so, and returns the inner TOS it now has,
     * or {@link #DROP}.
     */
    public static int decapsulate(int outerTos, byte[] p, int off, int len) {
        int version = IpHeader.version(p, off, len);
        if (version != 4 && version != 6) {
            return 0;
        }
        int inner = of(p, off, len);
        int in = inner & 3, out = outerTos & 3;
        int ecn;
        if (out == CE) {
            if (in == NOT_ECT) {
                return DROP;
            }
            ecn = CE;
        } else if (out == ECT1 && in == ECT0) {
            ecn = ECT1;
        } else {
            return inner; // unchanged
        }
        if (ecn == in) {
            return inner;
        }
        int tos = (inner & ~3) | ecn;
        if (version == 4) {
            int oldWord = ((p[off] & 0xff) << 8) | inner;
            p[off + 1] = (byte) tos;
            int checksum = ((p[off + 10] & 0xff) << 8) | (p[off + 11] & 0xff);
            int updated = Checksum.update(checksum, oldWord, ((p[off] & 0xff) << 8) | tos);
            p[off + 10] = (byte) (updated >>> 8);
            p[off + 11] = (byte) updated;
        } else {
            p[off] = (byte) ((p[off] & 0xf0) | (tos >>> 4));
            p[off + 1] = (byte) ((p[off + 1] & 0x0f) | ((tos & 0x0f) << 4));
        }
        return tos;
    }
}
