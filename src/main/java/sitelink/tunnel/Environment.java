package sitelink.tunnel;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Everything a protocol core takes from the world besides bytes: time, and randomness (ephemeral keys, session
 * indices, cookie secrets from {@code random}; timer jitter from {@code jitter}). The cores read no system clock and
 * no global random source, so a test that injects a fake clock and seeded generators replays a run exactly.
 *
 * @param jitter timer jitter needs spread, not secrecy, and the data-path threads draw it: the system environment
 *               gives each thread its own generator, so they share no lock
 */
public record Environment(Clock clock, SecureRandom random, RandomGenerator jitter) {
    public Environment {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(jitter, "jitter");
    }

    /** The real clock, a {@link SecureRandom}, and per-thread jitter. */
    public static Environment system() {
        return of(Clock.SYSTEM, new SecureRandom());
    }

    /** {@code clock} and {@code random}, with per-thread jitter. */
    public static Environment of(Clock clock, SecureRandom random) {
        return new Environment(clock, random, PER_THREAD_JITTER);
    }

    private static final RandomGenerator PER_THREAD_JITTER = new RandomGenerator() {
        @Override
        public long nextLong() {
            return java.util.concurrent.ThreadLocalRandom.current().nextLong();
        }
    };
}
