package sitelink.wireguard;

/**
 * The timer constants of the WireGuard whitepaper (section 6.1), in nanoseconds, for {@link PeerTimers}.
 *
 * <p>These mirror {@code sitelink.wireguard.Constants} (written separately, with the same whitepaper names); they live
 * here, package-private, so the two can be merged without a conflict. Once Constants is in, this class can delegate to
 * it or go away.
 */
final class TimerConstants {
    private static final long SECOND = 1_000_000_000L;
    private static final long MILLISECOND = 1_000_000L;

    static final long REKEY_AFTER_TIME = 120 * SECOND;
    static final long REJECT_AFTER_TIME = 180 * SECOND;
    static final long REKEY_ATTEMPT_TIME = 90 * SECOND;
    static final long REKEY_TIMEOUT = 5 * SECOND;
    static final long KEEPALIVE_TIMEOUT = 10 * SECOND;

    /**
     * Retransmit and new-handshake timers add a random 0..333 ms so that two peers do not retry in lock step
     * (wireguard-go: {@code rand.Int31n(RekeyTimeoutJitterMaxMs)} milliseconds with RekeyTimeoutJitterMaxMs = 334).
     */
    static final int REKEY_TIMEOUT_JITTER_MAX_MS = 334;
    static final long JITTER_UNIT = MILLISECOND;

    /**
     * How many retransmissions the retransmit timer sends before it gives up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT = 18.
     * As in wireguard-go and the kernel, the count is compared with {@code >}, so 1 first initiation + 19 retries are
     * sent and the 20th expiry gives up (about 100 s, not 90 s, after the first initiation).
     */
    static final int MAX_TIMER_HANDSHAKES = (int) (REKEY_ATTEMPT_TIME / REKEY_TIMEOUT);

    /** Keys and half-done handshakes are destroyed this long after the last session was derived. */
    static final long ZERO_KEY_MATERIAL_AFTER = REJECT_AFTER_TIME * 3;

    static final int MAX_PERSISTENT_KEEPALIVE_SECONDS = 65535;

    static long seconds(long s) {
        return s * SECOND;
    }

    private TimerConstants() {
    }
}
