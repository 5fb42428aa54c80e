package sitelink.wireguard;

import java.time.Duration;
import java.time.Instant;

/** A clock the test moves by hand. */
final class FakeClock implements Clock {
    private long nanos = 1_000_000_000L;
    private Instant now = Instant.parse("2025-01-01T00:00:00Z");

    @Override
    public long nanoTime() {
        return nanos;
    }

    @Override
    public Instant now() {
        return now;
    }

    void advance(Duration d) {
        nanos += d.toNanos();
        now = now.plus(d);
    }
}
