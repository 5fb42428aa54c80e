package sitelink.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The handshake thread's nice value follows its load, on a clock the test moves. */
class HandshakePriorityTest {
    private static final long MS = 1_000_000L;
    private final List<Integer> set = new ArrayList<>();
    private int answer;
    private final HandshakePriority p = new HandshakePriority(n -> {
        set.add(n);
        return answer;
    }, 10, 0);

    @Test
    void handshakesAsPeersSendThemKeepTheDefaultPriority() {
        long now = 0;
        for (int i = 0; i < 50; i++) { // a 2 ms handshake every 50 ms: 4 % of the time
            now += 50 * MS;
            p.worked(2 * MS, now);
            p.idle(now);
        }
        assertFalse(p.lowered());
        assertEquals(List.of(), set, "never reniced");
    }

    @Test
    void workingMostOfAWindowLowersItAndACalmSecondRaisesItAgain() {
        long now = 0;
        for (int i = 0; i < 60; i++) { // a flood: 1.5 ms of every 2 ms
            now += 2 * MS;
            p.worked(1_500_000L, now);
        }
        assertTrue(p.lowered());
        assertEquals(List.of(10), set);
        now += 500 * MS;
        p.idle(now);
        assertTrue(p.lowered(), "half a second of calm is not enough");
        now += 600 * MS;
        p.idle(now);
        assertFalse(p.lowered());
        assertEquals(List.of(10, 0), set);
    }

    @Test
    void aBackedUpQueueLowersItAtOnce() {
        p.backlog(MS);
        assertTrue(p.lowered());
        assertEquals(List.of(10), set);
        p.backlog(2 * MS);
        assertEquals(List.of(10), set, "set once");
    }

    @Test
    void withoutTheRightToRaiseItStaysLoweredAndSaysSoOnce() {
        p.backlog(0);
        answer = -13; // EACCES: no CAP_SYS_NICE, RLIMIT_NICE 0
        p.idle(2_000 * MS);
        assertTrue(p.lowered());
        assertEquals(13, p.takeRefusal());
        assertEquals(0, p.takeRefusal(), "told once");
        p.idle(4_000 * MS);
        assertEquals(List.of(10, 0), set, "not asked again");
    }
}
