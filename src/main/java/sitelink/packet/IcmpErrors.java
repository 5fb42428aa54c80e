package sitelink.packet;

/**
 * Path-MTU signals for packets too big for the tunnel: ICMP "fragmentation needed" (type 3 code 4, RFC 792 and RFC 1191)
 * for IPv4 with DF set, ICMPv6 "packet too big" (type 2, RFC 4443 section 3.2) for any IPv6 packet. Without them the
 * sender's PMTUD never learns the tunnel's MTU and its connections stall.
 *
 * <p>The error goes from the gateway's address to the packet's source and quotes as much of the packet as fits: 576
 * bytes in all for IPv4 (RFC 1812 4.3.2.3), 1280 for IPv6 (RFC 4443 2.4 c). It is never sent when the rules of RFC 1122
 * 3.2.2 / RFC 4443 2.4 e forbid it, and at most as often as the token bucket allows (RFC 4443 2.4 f), since an attacker
 * sending large packets must not turn the gateway into an ICMP amplifier. One instance per thread (it remembers the
 * last outcome); the token bucket may be shared.
 */
public final class IcmpErrors {
    /** Room {@link #tooBig} needs in its output buffer. */
    public static final int MAX_ERROR_LENGTH = 1280;
    private static final int V4_ERROR_LIMIT = 576;
    private static final int V6_ERROR_LIMIT = 1280;
    private static final int HOP_LIMIT = 64;

    /** Why a too-big packet did or did not get an error; the device counts these. */
    public enum Outcome {
        /** An error was built. */
        SENT,
        /** The packet fits the MTU (or is not a valid packet): nothing to say. */
        NOT_NEEDED,
        /** IPv4 without DF: the caller may fragment it instead. */
        MAY_FRAGMENT,
        /** The packet is itself an ICMP error: errors about errors could loop forever. */
        ICMP_ERROR,
        /** A non-first fragment: the source cannot match an error to it. */
        LATER_FRAGMENT,
        /** The source is multicast, broadcast, unspecified or loopback: no single host to tell. */
        BAD_SOURCE,
        /** The destination is a multicast or broadcast address (IPv4; RFC 1122 3.2.2). */
        BAD_DESTINATION,
        /** Over the rate limit. */
        RATE_LIMITED
    }

    private final int mtu;
    private final TokenBucket limiter;
    private Outcome last = Outcome.NOT_NEEDED;

    /**
     * @param mtu the tunnel MTU, announced as next-hop MTU / MTU
     * @param limiter shared by both families; RFC 4443 2.4 f suggests a token bucket
     */
    public IcmpErrors(int mtu, TokenBucket limiter) {
        if (mtu < 576 || mtu > 65535) {
            throw new IllegalArgumentException("MTU " + mtu + " is outside 576..65535");
        }
        this.mtu = mtu;
        this.limiter = limiter;
    }

    /** True when {@code v} is larger than the tunnel MTU (the device then drops it and may call {@link #tooBig}). */
    public boolean exceeds(PacketView v) {
        return v.valid() && v.totalLength() > mtu;
    }

    /**
     * Writes the ICMP/ICMPv6 error about {@code v} to {@code out[outOff, ...)} and returns its length, or 0 when none
     * may be sent ({@link #lastOutcome()} says why). {@code gateway} is the 4- or 16-byte source address, of the
     * packet's family. {@code out} needs {@link #MAX_ERROR_LENGTH} bytes and must not overlap the packet.
     */
    public int tooBig(PacketView v, byte[] gateway, byte[] out, int outOff, long nowNanos) {
        Outcome o = check(v);
        if (o == Outcome.SENT && !limiter.tryAcquire(nowNanos)) {
            o = Outcome.RATE_LIMITED;
        }
        last = o;
        if (o != Outcome.SENT) {
            return 0;
        }
        if (gateway.length != v.addressLength()) {
            throw new IllegalArgumentException("gateway address family does not match the packet");
        }
        return v.version() == 4 ? fragmentationNeeded(v, gateway, out, outOff) : packetTooBig(v, gateway, out, outOff);
    }

    /** Why the last {@link #tooBig} call did or did not build an error. */
    public Outcome lastOutcome() {
        return last;
    }

    /** The RFC rules, without the rate limit. */
    public Outcome check(PacketView v) {
        if (!exceeds(v)) {
            return Outcome.NOT_NEEDED;
        }
        if (v.version() == 4 && !v.dontFragment()) {
            return Outcome.MAY_FRAGMENT;
        }
        if (!v.isFirstFragment()) {
            return Outcome.LATER_FRAGMENT;
        }
        if (v.isIcmpError()) {
            return Outcome.ICMP_ERROR;
        }
        byte[] b = v.buffer();
        if (v.version() == 4) {
            if (!unicastV4(b, v.sourceOffset())) {
                return Outcome.BAD_SOURCE;
            }
            int d = v.destinationOffset();
            if ((b[d] & 0xf0) == 0xe0 || allOnes(b, d, 4)) {
                return Outcome.BAD_DESTINATION;
            }
        } else if (!unicastV6(b, v.sourceOffset())) {
            return Outcome.BAD_SOURCE; // a multicast destination is fine: RFC 4443 2.4 e.3 excepts Packet Too Big
        }
        return Outcome.SENT;
    }

    private int fragmentationNeeded(PacketView v, byte[] gateway, byte[] out, int o) {
        int quoted = Math.min(v.totalLength(), V4_ERROR_LIMIT - 28);
        int total = 28 + quoted;
        byte[] b = v.buffer();
        ipv4Header(out, o, total, gateway, b, v.sourceOffset());
        int icmp = o + 20;
        out[icmp] = 3;
        out[icmp + 1] = 4;
        Checksum.put16(out, icmp + 2, 0);
        Checksum.put16(out, icmp + 4, 0); // unused
        Checksum.put16(out, icmp + 6, mtu); // next-hop MTU, RFC 1191 section 4
        System.arraycopy(b, v.offset(), out, icmp + 8, quoted);
        Checksum.put16(out, icmp + 2, Checksum.of(out, icmp, total - 20));
        return total;
    }

    private int packetTooBig(PacketView v, byte[] gateway, byte[] out, int o) {
        int quoted = Math.min(v.totalLength(), V6_ERROR_LIMIT - 48);
        int payload = 8 + quoted;
        byte[] b = v.buffer();
        out[o] = 0x60;
        out[o + 1] = 0;
        out[o + 2] = 0;
        out[o + 3] = 0;
        Checksum.put16(out, o + 4, payload);
        out[o + 6] = PacketView.ICMPV6;
        out[o + 7] = HOP_LIMIT;
        System.arraycopy(gateway, 0, out, o + 8, 16);
        System.arraycopy(b, v.sourceOffset(), out, o + 24, 16);
        int icmp = o + 40;
        out[icmp] = 2;
        out[icmp + 1] = 0;
        Checksum.put16(out, icmp + 2, 0);
        Checksum.put16(out, icmp + 4, mtu >>> 16);
        Checksum.put16(out, icmp + 6, mtu);
        System.arraycopy(b, v.offset(), out, icmp + 8, quoted);
        long sum = Checksum.pseudoHeader(out, o + 8, o + 24, 16, PacketView.ICMPV6, payload);
        Checksum.put16(out, icmp + 2, Checksum.finish(Checksum.add(sum, out, icmp, payload)));
        return 40 + payload;
    }

    private static void ipv4Header(byte[] out, int o, int total, byte[] src, byte[] b, int dstOff) {
        out[o] = 0x45;
        out[o + 1] = (byte) 0xc0; // precedence "internetwork control", as routers mark ICMP errors (RFC 1812 4.3.2.5)
        Checksum.put16(out, o + 2, total);
        Checksum.put16(out, o + 4, 0); // identification
        Checksum.put16(out, o + 6, 0); // flags, fragment offset
        out[o + 8] = HOP_LIMIT;
        out[o + 9] = PacketView.ICMP;
        Checksum.put16(out, o + 10, 0);
        System.arraycopy(src, 0, out, o + 12, 4);
        System.arraycopy(b, dstOff, out, o + 16, 4);
        Checksum.put16(out, o + 10, Checksum.of(out, o, 20));
    }

    /** RFC 1122 3.2.2: not 0.0.0.0/8, 127/8, multicast 224/4, class E 240/4 or the limited broadcast. */
    private static boolean unicastV4(byte[] b, int a) {
        int first = b[a] & 0xff;
        return first != 0 && first != 127 && first < 224;
    }

    /** RFC 4443 2.4 e: not the unspecified address, not loopback, not multicast ff00::/8. */
    private static boolean unicastV6(byte[] b, int a) {
        if ((b[a] & 0xff) == 0xff) {
            return false;
        }
        for (int i = 0; i < 15; i++) {
            if (b[a + i] != 0) {
                return true;
            }
        }
        return b[a + 15] != 0 && b[a + 15] != 1;
    }

    private static boolean allOnes(byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (b[off + i] != (byte) 0xff) {
                return false;
            }
        }
        return true;
    }
}
