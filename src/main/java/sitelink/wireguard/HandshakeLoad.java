package sitelink.wireguard;

import java.net.InetAddress;
import sitelink.tunnel.Clock;

/**
 * When a device is under load (whitepaper 5.3: then it demands cookies), and how much public-key work each source
 * gets: handshake messages above a rate per second, or a handshake queue the device reports backed up, count as
 * load for the next second; under load a source gets 20 handshakes and 20 cookie replies a second (bursts of 5).
 */
final class HandshakeLoad {
    /** Handshake messages per second above which the device counts as under load and demands cookies. */
    static final int DEFAULT_UNDER_LOAD_RATE = 256;
    private static final long UNDER_LOAD_AFTER_NANOS = 1_000_000_000L;

    private final Clock clock;
    private final HandshakeRateLimiter handshakes = new HandshakeRateLimiter();
    /** Its sources are unproven (no valid mac2 yet), so a full table answers a new one rather than refusing it. */
    private final HandshakeRateLimiter cookieReplies = HandshakeRateLimiter.failingOpen();
    private volatile int underLoadRate = DEFAULT_UNDER_LOAD_RATE;
    private long windowStart;
    private int windowCount;
    private volatile long underLoadUntil;

    HandshakeLoad(Clock clock) {
        this.clock = clock;
        windowStart = clock.nanoTime();
        underLoadUntil = windowStart;
    }

    /** Counts one handshake message; true while under load. */
    boolean underLoad() {
        long now = clock.nanoTime();
        synchronized (this) {
            if (now - windowStart >= 1_000_000_000L) {
                windowStart = now;
                windowCount = 0;
            }
            if (++windowCount > underLoadRate) {
                underLoadUntil = now + UNDER_LOAD_AFTER_NANOS;
            }
        }
        return now - underLoadUntil < 0;
    }

    /** The device's handshake queue is backed up: under load for the next second, whatever the rate seen here. */
    void backlog() {
        underLoadUntil = clock.nanoTime() + UNDER_LOAD_AFTER_NANOS;
    }

    void setUnderLoadRate(int messagesPerSecond) {
        underLoadRate = messagesPerSecond;
    }

    /** True if {@code source} already had its share of handshakes (nothing taken). */
    boolean handshakesExhausted(InetAddress source) {
        return handshakes.exhausted(source, clock.nanoTime());
    }

    /** Takes one of {@code source}'s handshakes, if it has one left. */
    boolean allowHandshake(InetAddress source) {
        return handshakes.allow(source, clock.nanoTime());
    }

    /** Takes one of {@code source}'s cookie replies, if it has one left. */
    boolean allowCookieReply(InetAddress source) {
        return cookieReplies.allow(source, clock.nanoTime());
    }
}
