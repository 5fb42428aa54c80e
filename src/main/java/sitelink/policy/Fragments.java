package sitelink.policy;

import sitelink.packet.PacketView;

/**
 * The datagrams whose first fragment the policy allowed, so that their later fragments (which carry no ports to
 * check) follow it: keyed by addresses, protocol, identification and direction, remembered for the reassembly time
 * (30 s for IPv4 as Linux's ipfrag_time, 60 s for IPv6 as RFC 8200 section 4.5).
 *
 * <p>Direct-mapped on primitive arrays, no allocation per packet: a newer datagram may take an older one's slot,
 * whose remaining fragments are then dropped as if no rule allowed them (fragments are in flight for milliseconds, so
 * this needs many datagrams at once). A later fragment that overtakes its first fragment is dropped too: there is no
 * reassembly here. Not thread-safe: {@link Policy} serialises access.
 */
final class Fragments {
    static final int SLOTS = 1024;
    private static final long V4_TIMEOUT = 30_000_000_000L, V6_TIMEOUT = 60_000_000_000L;

    private final long[] srcHi = new long[SLOTS], srcLo = new long[SLOTS];
    private final long[] dstHi = new long[SLOTS], dstLo = new long[SLOTS];
    /** id (32 bits) | protocol (8) | version (4) | direction (1) | used (1). */
    private final long[] meta = new long[SLOTS];
    private final long[] expires = new long[SLOTS];

    /** Keyed, so that a sender cannot pick datagrams that take a chosen datagram's slot. */
    private final FlowHash hash;

    // the key of the packet being looked at
    private long kSrcHi, kSrcLo, kDstHi, kDstLo, kMeta;

    Fragments(FlowHash hash) {
        this.hash = hash;
    }

    /** Remembers the datagram of {@code v}, a first fragment that was allowed travelling {@code d}. */
    void remember(PacketView v, Direction d, long now) {
        int slot = key(v, d);
        srcHi[slot] = kSrcHi;
        srcLo[slot] = kSrcLo;
        dstHi[slot] = kDstHi;
        dstLo[slot] = kDstLo;
        meta[slot] = kMeta;
        expires[slot] = now + (v.version() == 4 ? V4_TIMEOUT : V6_TIMEOUT);
    }

    /** True when {@code v}, a later fragment travelling {@code d}, belongs to a remembered datagram. */
    boolean follows(PacketView v, Direction d, long now) {
        int slot = key(v, d);
        return meta[slot] == kMeta && srcLo[slot] == kSrcLo && dstLo[slot] == kDstLo && srcHi[slot] == kSrcHi
                && dstHi[slot] == kDstHi && now - expires[slot] < 0;
    }

    private int key(PacketView v, Direction d) {
        kSrcHi = v.addressHigh(v.sourceOffset());
        kSrcLo = v.addressLow(v.sourceOffset());
        kDstHi = v.addressHigh(v.destinationOffset());
        kDstLo = v.addressLow(v.destinationOffset());
        kMeta = v.fragmentId() << 32 | (long) (v.protocol() & 0xff) << 24 | (long) v.version() << 20
                | (long) d.ordinal() << 16 | 1;
        return hash.hash(kSrcHi, kSrcLo, kDstHi, kDstLo, kMeta) & (SLOTS - 1);
    }
}
