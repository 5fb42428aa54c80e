package sitelink.packet;

/**
 * One total parse of an IPv4 or IPv6 packet in place: the header facts the policy, the MSS clamp and the ICMP error
 * builder need. A view is reused packet after packet (it holds a reference to the buffer and a few ints, nothing is
 * allocated), so it belongs to one thread.
 *
 * <p>{@link #parse} never throws: any header that does not add up (length fields that lie, an extension header that
 * runs past the packet, a TCP data offset below 5, a transport header cut short in a first fragment) makes the view
 * {@linkplain #valid() invalid}. When the view is valid every offset it reports lies inside the packet.
 */
public final class PacketView {
    public static final int ICMP = 1;
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int ICMPV6 = 58;
    static final int HOP_BY_HOP = 0;
    static final int ROUTING = 43;
    static final int FRAGMENT = 44;
    static final int ESP = 50;
    static final int AH = 51;
    static final int DESTINATION_OPTIONS = 60;

    /** TCP flag bits as in the header's 13th byte. */
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int ACK = 0x10;

    /**
     * A chain longer than this is refused: no real packet needs it, and bounding the walk bounds the time an attacker
     * can make us spend per packet (RFC 7112 and RFC 8200 section 4.1 on header-chain sanity).
     */
    public static final int MAX_EXTENSION_HEADERS = 8;

    private byte[] buf;
    private int off;
    private boolean valid;
    private int version;
    private int totalLength;
    private int ipHeaderLength;
    private int protocol;
    private int l4Offset;
    private int l4Length;
    private boolean fragment;
    private boolean firstFragment;
    private boolean dontFragment;
    private long fragmentId;
    private boolean transport;
    private int srcPort;
    private int dstPort;
    private int tcpFlags;
    private int tcpHeaderLength;
    private int icmpType;

    /** Parses {@code buf[off, off+len)}; returns {@link #valid()}. Bytes past the header's total length are ignored. */
    public boolean parse(byte[] buf, int off, int len) {
        return parse(buf, off, len, false);
    }

    /**
     * Parses the copy of a packet quoted inside an ICMP error (RFC 792, RFC 4443 section 2.4 c): it is usually cut
     * short, so its length fields may exceed what is there and only the first 8 transport bytes (ports, ICMP id) are
     * required.
     */
    public boolean parseQuoted(byte[] buf, int off, int len) {
        return parse(buf, off, len, true);
    }

    private boolean parse(byte[] b, int o, int len, boolean quoted) {
        reset(b, o);
        if (b == null || o < 0 || len < 1 || o > b.length - len) {
            return false;
        }
        int v = (b[o] & 0xff) >>> 4;
        if (v == 4) {
            return parseV4(b, o, len, quoted);
        }
        if (v == 6) {
            return parseV6(b, o, len, quoted);
        }
        return false;
    }

    private boolean parseV4(byte[] b, int o, int len, boolean quoted) {
        if (len < 20) {
            return false;
        }
        int ihl = (b[o] & 0x0f) * 4;
        int total = u16(b, o + 2);
        if (ihl < 20 || total < ihl || ihl > len) {
            return false;
        }
        if (total > len) {
            if (!quoted) {
                return false;
            }
            total = len;
        }
        version = 4;
        totalLength = total;
        ipHeaderLength = ihl;
        protocol = b[o + 9] & 0xff;
        int frag = u16(b, o + 6);
        int fragOffset = frag & 0x1fff;
        dontFragment = (frag & 0x4000) != 0;
        fragmentId = u16(b, o + 4);
        fragment = fragOffset != 0 || (frag & 0x2000) != 0;
        firstFragment = fragOffset == 0;
        // RFC 1858 section 3.2: a TCP fragment at offset 8 bytes can only serve to overwrite the ports and flags
        if (protocol == TCP && fragOffset == 1) {
            return false;
        }
        return transport(b, o + ihl, o + total, quoted, protocol == ICMP);
    }

    private boolean parseV6(byte[] b, int o, int len, boolean quoted) {
        if (len < 40) {
            return false;
        }
        int total = 40 + u16(b, o + 4);
        if (total > len) {
            if (!quoted) {
                return false;
            }
            total = len;
        }
        version = 6;
        totalLength = total;
        int end = o + total;
        int next = b[o + 6] & 0xff;
        int p = o + 40;
        firstFragment = true;
        for (int seen = 0; ; seen++) {
            int hlen;
            switch (next) {
                case HOP_BY_HOP, ROUTING, DESTINATION_OPTIONS, AH, FRAGMENT -> {
                    if (seen == MAX_EXTENSION_HEADERS || (next == HOP_BY_HOP && seen > 0) || end - p < 8) {
                        return false; // RFC 8200 4.1: hop-by-hop only right after the fixed header
                    }
                    hlen = switch (next) {
                        case FRAGMENT -> 8;
                        case AH -> ((b[p + 1] & 0xff) + 2) * 4;
                        default -> ((b[p + 1] & 0xff) + 1) * 8;
                    };
                    if (hlen > end - p) {
                        return false;
                    }
                }
                default -> {
                    ipHeaderLength = p - o;
                    protocol = next;
                    return transport(b, p, end, quoted, next == ICMPV6);
                }
            }
            if (next == FRAGMENT) {
                int fo = u16(b, p + 2);
                fragmentId = (long) u16(b, p + 4) << 16 | u16(b, p + 6);
                fragment = true;
                firstFragment = (fo & 0xfff8) == 0;
                if ((fo & 0xfff9) == 0) {
                    fragment = false; // an atomic fragment (RFC 6946): offset 0, no more fragments
                }
                if (!firstFragment) {
                    ipHeaderLength = p + 8 - o;
                    protocol = b[p] & 0xff;
                    return transport(b, p + 8, end, quoted, false);
                }
            }
            next = b[p] & 0xff;
            p += hlen;
        }
    }

    /** Reads the transport header at [p, end); a non-first fragment carries none. */
    private boolean transport(byte[] b, int p, int end, boolean quoted, boolean icmp) {
        l4Offset = p;
        l4Length = end - p;
        valid = true;
        if (!firstFragment) {
            return true;
        }
        int need = switch (protocol) {
            case TCP -> quoted ? 8 : 20;
            case UDP -> 8;
            default -> icmp ? 8 : 0;
        };
        if (need == 0) {
            return true;
        }
        if (l4Length < need) {
            // also a first fragment too small to hold its transport header: RFC 1858's tiny-fragment attack
            valid = false;
            return false;
        }
        transport = true;
        if (icmp) {
            icmpType = b[p] & 0xff;
            return true;
        }
        srcPort = u16(b, p);
        dstPort = u16(b, p + 2);
        if (protocol == TCP && !quoted) {
            int doff = ((b[p + 12] & 0xff) >>> 4) * 4;
            if (doff < 20 || doff > l4Length) {
                valid = false;
                transport = false;
                return false;
            }
            tcpHeaderLength = doff;
            tcpFlags = b[p + 13] & 0xff;
        }
        return true;
    }

    private void reset(byte[] b, int o) {
        buf = b;
        off = o;
        valid = false;
        version = 0;
        totalLength = 0;
        ipHeaderLength = 0;
        protocol = -1;
        l4Offset = 0;
        l4Length = 0;
        fragment = false;
        firstFragment = false;
        dontFragment = false;
        fragmentId = 0;
        transport = false;
        srcPort = 0;
        dstPort = 0;
        tcpFlags = 0;
        tcpHeaderLength = 0;
        icmpType = -1;
    }

    public boolean valid() {
        return valid;
    }

    public byte[] buffer() {
        return buf;
    }

    /** Where the packet starts in {@link #buffer()}. */
    public int offset() {
        return off;
    }

    public int version() {
        return version;
    }

    /** Length per the IP header (for a quoted packet: what is present). */
    public int totalLength() {
        return totalLength;
    }

    /** IPv4: IHL*4. IPv6: 40 plus the extension headers walked. */
    public int ipHeaderLength() {
        return ipHeaderLength;
    }

    /** The upper-layer protocol (after IPv6 extension headers), or the fragment's next header for a later fragment. */
    public int protocol() {
        return protocol;
    }

    /** Absolute offset of the transport header in {@link #buffer()}. */
    public int l4Offset() {
        return l4Offset;
    }

    public int l4Length() {
        return l4Length;
    }

    public int sourceOffset() {
        return off + IpHeader.sourceOffset(version);
    }

    public int destinationOffset() {
        return off + IpHeader.destinationOffset(version);
    }

    public int addressLength() {
        return IpHeader.addressLength(version);
    }

    public boolean isFragment() {
        return fragment;
    }

    /** False for a fragment with a non-zero offset: it has no transport header, so no ports. */
    public boolean isFirstFragment() {
        return firstFragment;
    }

    /** The identification that ties a datagram's fragments together: 16 bits for IPv4, 32 for IPv6's fragment header. */
    public long fragmentId() {
        return fragmentId;
    }

    /** IPv4 DF bit; IPv6 routers never fragment, so callers treat every IPv6 packet as DF. */
    public boolean dontFragment() {
        return dontFragment;
    }

    /** True when ports (TCP/UDP) or type/code (ICMP/ICMPv6) were read. */
    public boolean hasTransport() {
        return transport;
    }

    public int sourcePort() {
        return srcPort;
    }

    public int destinationPort() {
        return dstPort;
    }

    public int tcpFlags() {
        return tcpFlags;
    }

    public int tcpHeaderLength() {
        return tcpHeaderLength;
    }

    /** ICMP or ICMPv6 type, -1 when not ICMP. */
    public int icmpType() {
        return icmpType;
    }

    /** The echo identifier (bytes 4-5 of an ICMP echo request/reply); meaningful only for echo messages. */
    public int icmpId() {
        return transport && icmpType >= 0 ? u16(buf, l4Offset + 4) : -1;
    }

    /** True for echo request/reply: the only ICMP messages that start or answer a "connection". */
    public boolean isIcmpEcho() {
        return transport && (version == 4 ? icmpType == 8 || icmpType == 0 : icmpType == 128 || icmpType == 129);
    }

    /** True for an ICMP/ICMPv6 error message, which quotes the packet that caused it. */
    public boolean isIcmpError() {
        if (!transport || icmpType < 0) {
            return false;
        }
        return version == 4
                ? icmpType == 3 || icmpType == 4 || icmpType == 5 || icmpType == 11 || icmpType == 12
                : icmpType < 128; // RFC 4443 section 2.1: types 0-127 are errors
    }

    /**
     * The upper 64 bits of the address at {@code off} (the source or destination offset) as an unsigned number: 0 for
     * IPv4. With {@link #addressLow} it is the address as two longs, which policy tables compare and hash.
     */
    public long addressHigh(int off) {
        return version == 4 ? 0 : u32(buf, off) << 32 | u32(buf, off + 4);
    }

    /** The lower 64 bits of the IPv6 address at {@code off}, or the IPv4 address (in the low 32 bits). */
    public long addressLow(int off) {
        return version == 4 ? u32(buf, off) : u32(buf, off + 8) << 32 | u32(buf, off + 12);
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    private static long u32(byte[] b, int off) {
        return (b[off] & 0xffL) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }
}
