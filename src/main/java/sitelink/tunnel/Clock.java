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

    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public Instant now() {
            return Instant.now();
        }
    };
}
