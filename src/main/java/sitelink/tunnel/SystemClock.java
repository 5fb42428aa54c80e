package sitelink.tunnel;

import java.time.Instant;

/**
 * The system's clocks ({@link Clock#SYSTEM}), or a copy of them its owner moves forward ({@link #movable}): the
 * start's warm-up takes two protocol cores past a rekey's time in a moment that way. One class for both, so that the
 * JIT's profiles of the cores' calls to their clock see one receiver type whether the warm-up or a gateway's traffic
 * made them. When the warm-up's clock was a class of its own, some call sites were compiled for it alone, and a
 * gateway's handshakes deoptimized that code again and again ({@code clock.now()} as a responder's session is
 * confirmed, at every handshake).
 */
public final class SystemClock implements Clock {
    static final SystemClock SYSTEM = new SystemClock(false);

    private final boolean movable;
    /** How far this clock is ahead of the system's; 0 for {@link Clock#SYSTEM}, moved only by its owner's thread. */
    private long ahead;

    private SystemClock(boolean movable) {
        this.movable = movable;
    }

    /** A clock that starts at the system's time and that {@link #advance} moves ahead of it. */
    public static SystemClock movable() {
        return new SystemClock(true);
    }

    /** Moves this clock {@code nanos} further ahead of the system's (not {@link Clock#SYSTEM}: that one never moves). */
    public void advance(long nanos) {
        if (!movable) {
            throw new IllegalStateException("the system clock does not move");
        }
        ahead += nanos;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime() + ahead;
    }

    @Override
    public Instant now() {
        return Instant.now().plusNanos(ahead);
    }
}
