package sitelink.policy;

/**
 * How many tracked flows each inner source address opened, so that one host cannot take the connection table for
 * itself (as pf's max-src-states and Linux's connlimit limit it). An open-addressing table keyed by address and IP
 * version with the policy's keyed hash, deleting by backward shift: no allocation, no tombstones. A slot is three
 * adjacent longs (address high, address low, tag), so a probe touches one cache line rather than three. It has as
 * many slots as the connection table, and every counted address has at least one flow there, so it is at most half
 * full. Not thread-safe: {@link Policy} serialises access.
 */
final class SourceCounts {
    private static final long USED = 1L << 62;
    private static final long COUNT = 0xffff_ffffL;

    private final FlowHash hash;
    private final int mask;
    /** Per slot: address high, address low, and USED | version << 32 | count (0: free). */
    private final long[] slots;

    SourceCounts(int capacity, FlowHash hash) {
        this.hash = hash;
        mask = capacity - 1;
        slots = new long[3 * capacity];
    }

    /** The flows counted for the address (high and low 64 bits as {@code PacketView} gives them) of that version. */
    int count(long addrHi, long addrLo, int version) {
        return (int) (slots[find(addrHi, addrLo, version) + 2] & COUNT);
    }

    void increment(long addrHi, long addrLo, int version) {
        int s = find(addrHi, addrLo, version);
        if (slots[s + 2] == 0) {
            slots[s] = addrHi;
            slots[s + 1] = addrLo;
            slots[s + 2] = tag(version);
        }
        slots[s + 2]++;
    }

    /** Counts one flow of the address less; the address is forgotten when none is left. */
    void decrement(long addrHi, long addrLo, int version) {
        int s = find(addrHi, addrLo, version);
        if (slots[s + 2] == 0) {
            throw new IllegalStateException("no flow counted for that source");
        }
        if (--slots[s + 2] == tag(version)) {
            remove(s / 3);
        }
    }

    private static long tag(int version) {
        return USED | (long) version << 32;
    }

    /** The index of the address's slot in {@link #slots}, or of the free slot that ends its probe run. */
    private int find(long addrHi, long addrLo, int version) {
        long t = tag(version);
        int i = hash.hash(addrHi, addrLo, version) & mask;
        while (true) {
            int s = 3 * i;
            if (slots[s + 2] == 0
                    || slots[s + 1] == addrLo && slots[s] == addrHi && (slots[s + 2] & ~COUNT) == t) {
                return s;
            }
            i = (i + 1) & mask;
        }
    }

    /** Linear-probing deletion by backward shift (Knuth 6.4 algorithm R), as in {@link ConnTrack}. */
    private void remove(int hole) {
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            int s = 3 * j;
            if (slots[s + 2] == 0) {
                break;
            }
            int home = hash.hash(slots[s], slots[s + 1], (int) (slots[s + 2] >>> 32) & 0xf) & mask;
            if (!ConnTrack.staysPut(hole, home, j)) {
                System.arraycopy(slots, s, slots, 3 * hole, 3);
                hole = j;
            }
        }
        slots[3 * hole + 2] = 0;
    }
}
