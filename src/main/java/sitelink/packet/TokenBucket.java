package sitelink.packet;

/**
 * A token bucket: {@code burst} events at once, then {@code perSecond} on average. Time comes in as nanoseconds from
 * the caller's clock ({@code sitelink.tunnel.Clock#nanoTime} in the device, a fake clock in tests), so this
 * package stays free of any clock type. Allocation-free; synchronized because the TUN and UDP threads share one.
 */
public final class TokenBucket {
    private final long nanosPerToken;
    private final long capacity;
    private long tokens;
    private long last;
    private boolean started;

    public TokenBucket(double perSecond, int burst) {
        if (!(perSecond > 0) || burst < 1) {
            throw new IllegalArgumentException("rate must be > 0 and burst >= 1");
        }
        nanosPerToken = Math.max(1, (long) (1e9 / perSecond));
        capacity = nanosPerToken * burst;
        tokens = capacity;
    }

    /** Takes one token if there is one at {@code nowNanos}. */
    public synchronized boolean tryAcquire(long nowNanos) {
        if (started) {
            long elapsed = nowNanos - last;
            if (elapsed > 0) {
                tokens = elapsed >= capacity ? capacity : Math.min(capacity, tokens + elapsed);
            }
        }
        started = true;
        last = nowNanos;
        if (tokens >= nanosPerToken) {
            tokens -= nanosPerToken;
            return true;
        }
        return false;
    }
}
