package sitelink.tunnel;

import java.time.Instant;

/**
 * Time as the protocol core sees it. The core never reads the system clock itself, so tests drive every timer
 * with a fake clock.
 */
public interface Clock {
    /** Monotonic time in nanoseconds (only differences mean anything). */
    long nanoTime();

    /** Wall-clock time, for TAI64N timestamps and "latest handshake" reports. */
    Instant now();

    /** The system's clocks: {@link System#nanoTime()} and {@link Instant#now()}. */
    Clock SYSTEM = SystemClock.SYSTEM;
}
