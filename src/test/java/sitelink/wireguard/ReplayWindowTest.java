package sitelink.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplayWindowTest {
    private static final long W = ReplayWindow.WINDOW_SIZE;

    /** The obvious model: every accepted counter in a set; too old means more than W below the greatest. */
    private static final class Model {
        final Set<Long> seen = new HashSet<>();
        long greatest;

        boolean update(long c) {
            if (Constants.reachedRejectAfterMessages(c) || (c < greatest && greatest - c > W) || seen.contains(c)) {
                return false;
            }
            seen.add(c);
            greatest = Math.max(greatest, c);
            return true;
        }
    }

    @Test
    void coversAtLeast2048Packets() {
        assertTrue(W >= 2048);
        assertEquals(8128, W);
    }

    @Test
    void agreesWithTheNaiveModelOnRandomSequences() {
        Random r = new Random(6479);
        for (int run = 0; run < 40; run++) {
            ReplayWindow w = new ReplayWindow();
            Model m = new Model();
            long base = 0;
            for (int i = 0; i < 3000; i++) {
                long c = switch (r.nextInt(6)) {
                    case 0 -> base + r.nextInt(64);                   // near the front, often duplicates
                    case 1 -> Math.max(0, base - r.nextInt((int) W + 200)); // around the back edge
                    case 2 -> base + r.nextInt(20_000);               // jumps ahead, often past the ring
                    case 3 -> m.greatest - W + r.nextInt(3) - 1;      // exactly at the edge
                    default -> base++;                                 // in order
                };
                if (c < 0) {
                    c = 0;
                }
                boolean wouldAccept = w.check(c);
                boolean accepted = w.update(c);
                assertEquals(wouldAccept, accepted, "check disagrees with update at " + c);
                assertEquals(m.update(c), accepted, "run " + run + " step " + i + " counter " + c);
                base = Math.max(base, c);
            }
        }
    }

    @Test
    void acceptsCounterZeroOnce() {
        ReplayWindow w = new ReplayWindow();
        assertTrue(w.check(0));
        assertTrue(w.update(0));
        assertFalse(w.check(0));
        assertFalse(w.update(0));
    }

    @Test
    void rejectsDuplicates() {
        ReplayWindow w = new ReplayWindow();
        assertTrue(w.update(5));
        assertTrue(w.update(3));
        assertFalse(w.update(5));
        assertFalse(w.update(3));
    }

    @Test
    void acceptsOutOfOrderInsideTheWindowAndRejectsBeyondIt() {
        ReplayWindow w = new ReplayWindow();
        assertTrue(w.update(10_000));
        assertTrue(w.update(10_000 - W));
        assertFalse(w.update(10_000 - W - 1));
    }

    @Test
    void farAheadJumpForgetsTheOldWindow() {
        ReplayWindow w = new ReplayWindow();
        for (long c = 0; c < 200; c++) {
            assertTrue(w.update(c));
        }
        assertTrue(w.update(1_000_000));
        assertFalse(w.update(150), "now far too old");
        assertTrue(w.update(1_000_000 - 1));
        assertTrue(w.update(1_000_000 - W));
    }

    @Test
    void ringWrapsWithoutLeakingOldBits() {
        ReplayWindow w = new ReplayWindow();
        // Walk through several full turns of the 128-block ring, one counter per block, then check neighbours.
        for (long c = 0; c < 128 * 64 * 5; c += 64) {
            assertTrue(w.update(c), "counter " + c);
            assertTrue(w.check(c + 1));
        }
    }

    @Test
    void rejectsCountersAtTheLimit() {
        ReplayWindow w = new ReplayWindow();
        assertFalse(w.update(Constants.REJECT_AFTER_MESSAGES));
        assertFalse(w.update(-1L));
        assertTrue(w.update(Constants.REJECT_AFTER_MESSAGES - 1), "the last allowed counter (unsigned)");
        assertFalse(w.update(Long.MAX_VALUE + 5), "2^63 + 4 is far below 2^64 - 2^13 - 2: too old");
        ReplayWindow fresh = new ReplayWindow();
        assertTrue(fresh.update(Long.MAX_VALUE + 5), "counters above 2^63 compare unsigned");
        assertTrue(fresh.update(Long.MAX_VALUE - 5), "the window spans the signed boundary");
        assertFalse(fresh.update(1), "far below, not 'greater' as a signed compare would think");
    }
}
