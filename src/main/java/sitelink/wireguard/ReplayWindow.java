package sitelink.wireguard;

/**
 * Sliding-window replay protection for transport counters (whitepaper section 5.4.6, RFC 6479). A ring of
 * 128 64-bit blocks; the newest block is partly filled, so the window reliably covers the last
 * {@link #WINDOW_SIZE} = 127 * 64 = 8128 counters, the size the kernel and wireguard-go use.
 * Counters are unsigned 64-bit values in a long. Thread-safe.
 */
public final class ReplayWindow {
    private static final int BLOCK_BITS_LOG = 6;
    private static final int BLOCK_BITS = 1 << BLOCK_BITS_LOG;
    private static final int RING_BLOCKS = 128;
    private static final int BLOCK_MASK = RING_BLOCKS - 1;
    private static final int BIT_MASK = BLOCK_BITS - 1;
    /** A counter this far below the greatest accepted one is still accepted once; further is too old. */
    public static final long WINDOW_SIZE = (long) (RING_BLOCKS - 1) * BLOCK_BITS;

    private final long[] ring = new long[RING_BLOCKS];
    /**
     * One more than the greatest counter accepted, 0 before the first: so a fresh window's first counter (0) takes
     * the same branch as every later in-order one. With "the greatest accepted" (0 when fresh), counter 0 of each new
     * session was the one packet to take the "not newer" branch, which the JIT, having never seen it in a busy
     * session's profile, compiled as a deoptimization trap: each rekey threw the receive path's compiled code away.
     */
    private long next;

    public ReplayWindow() {
    }

    /** Whether {@link #update} would accept the counter now; changes nothing. */
    public synchronized boolean check(long counter) {
        if (Constants.reachedRejectAfterMessages(counter)) {
            return false;
        }
        long last = next - 1; // all ones (2^64 - 1) when fresh: then no counter is within the window below it
        if (Long.compareUnsigned(counter, next) < 0 && Long.compareUnsigned(last - counter, WINDOW_SIZE) > 0) {
            return false;
        }
        if (Long.compareUnsigned(counter, next) >= 0 && (counter >>> BLOCK_BITS_LOG) != (last >>> BLOCK_BITS_LOG)) {
            return true; // update would clear the counter's block before marking it
        }
        return (ring[block(counter)] & bit(counter)) == 0;
    }

    /**
     * Accepts the counter and marks it seen; false if it was already seen or is older than the window (or at
     * REJECT_AFTER_MESSAGES). Call only after the message authenticated, so forgeries cannot move the window.
     */
    public synchronized boolean update(long counter) {
        if (Constants.reachedRejectAfterMessages(counter)) {
            return false;
        }
        long last = next - 1;
        if (Long.compareUnsigned(counter, next) >= 0) {
            // Fresh (last = 2^64 - 1): current is 2^58 - 1, above any counter's block, so diff <= 0 and nothing is
            // cleared (nothing is marked yet either).
            long current = last >>> BLOCK_BITS_LOG;
            long diff = Math.min((counter >>> BLOCK_BITS_LOG) - current, RING_BLOCKS);
            for (long i = current + 1; i <= current + diff; i++) {
                ring[(int) (i & BLOCK_MASK)] = 0; // blocks entering the window start empty
            }
            next = counter + 1; // no overflow: counters at REJECT_AFTER_MESSAGES and above were refused above
        } else if (Long.compareUnsigned(last - counter, WINDOW_SIZE) > 0) {
            return false;
        }
        int b = block(counter);
        long old = ring[b];
        ring[b] = old | bit(counter);
        return (old & bit(counter)) == 0;
    }

    private static int block(long counter) {
        return (int) ((counter >>> BLOCK_BITS_LOG) & BLOCK_MASK);
    }

    private static long bit(long counter) {
        return 1L << (counter & BIT_MASK);
    }
}
