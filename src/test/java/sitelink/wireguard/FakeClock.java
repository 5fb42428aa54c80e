package sitelink.wireguard;

import sitelink.tunnel.Clock;

import java.time.Duration;
import java.time.Instant;

/** A clock that moves only when a test says so. Starts at an arbitrary nanoTime to catch code that assumes zero. */
public final class FakeClock implements Clock {
    private static final long START_NANOS = 1_000_000_000_000L;

    private long nanos = START_NANOS;
    private Instant wall = Instant.parse("2025-01-01T00:00:00Z");

    @Override
    public synchronized long nanoTime() {
        return nanos;
    }

    @Override
    public synchronized Instant now() {
        return wall;
    }

    public synchronized void advance(Duration d) {
        advanceNanos(d.toNanos());
    }

    public synchronized void advanceNanos(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("time does not go back: " + n);
        }
        nanos += n;
        wall = wall.plusNanos(n);
    }

    /** Moves to an absolute nanoTime (such as a deadline returned by a timer). */
    public synchronized void setNanos(long to) {
        advanceNanos(to - nanos);
    }

    /** Nanoseconds since the clock was created. */
    public synchronized long elapsed() {
        return nanos - START_NANOS;
    }
}
