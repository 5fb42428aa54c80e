package sitelink.wireguard;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * How many handshakes one source address may cost us while the device is under load, as the kernel's
 * {@code ratelimiter.c} and wireguard-go's {@code ratelimiter} count them: a token bucket per source, 20 handshake
 * messages a second with a burst of 5, IPv4 per address and IPv6 per /64 (one host usually owns a whole /64).
 * Only a sender that answered our cookie reply gets this far (its mac2 proved it receives at that address), so this
 * bounds the Diffie-Hellman work one real host can make us do. Memory is bounded: at most {@link #MAX_SOURCES}
 * sources, an entry idle for a second is forgotten, and a new source is refused while the table is full.
 *
 * <p>A second instance, {@linkplain #failingOpen() failing open}, bounds the cookie replies one source gets: a real
 * peer needs one per handshake attempt (one every REKEY_TIMEOUT), a flood from a few addresses would otherwise make
 * us seal and send one for every message. Its sources are not proven (a spoofed flood can fill its table with made-up
 * addresses), so while that table is full a new source is answered rather than refused: at worst the work we did
 * before this limit existed. Time comes from the caller (the core's clock). Thread-safe.
 */
final class HandshakeRateLimiter {
    static final int PACKETS_PER_SECOND = 20;
    static final int PACKETS_BURSTABLE = 5;
    static final int MAX_SOURCES = 8192;
    private static final long PACKET_COST = 1_000_000_000L / PACKETS_PER_SECOND;
    private static final long MAX_TOKENS = PACKET_COST * PACKETS_BURSTABLE;
    private static final long IDLE_NANOS = 1_000_000_000L;

    /** An IPv4 address, or the /64 of an IPv6 address. */
    private record Source(boolean v6, long bits) {
        static Source of(InetAddress a) {
            byte[] b = a.getAddress();
            long bits = 0;
            for (int i = 0; i < Math.min(b.length, 8); i++) {
                bits = bits << 8 | (b[i] & 0xff);
            }
            return new Source(!(a instanceof Inet4Address), bits);
        }
    }

    private static final class Bucket {
        long tokens;
        long last;
    }

    private final Map<Source, Bucket> buckets = new HashMap<>();
    private final boolean allowWhenFull;
    private long lastSweep;
    private boolean swept;

    /** The limit on handshakes with a valid cookie: a new source is refused while the table is full. */
    HandshakeRateLimiter() {
        this(false);
    }

    private HandshakeRateLimiter(boolean allowWhenFull) {
        this.allowWhenFull = allowWhenFull;
    }

    /** The limit on cookie replies: a new source is allowed, untracked, while the table is full. */
    static HandshakeRateLimiter failingOpen() {
        return new HandshakeRateLimiter(true);
    }

    /** True if a handshake message from {@code address} may be processed now; takes a token if so. */
    synchronized boolean allow(InetAddress address, long nowNanos) {
        if (!swept || nowNanos - lastSweep >= IDLE_NANOS) {
            sweep(nowNanos);
        }
        Source key = Source.of(address);
        Bucket b = buckets.get(key);
        if (b == null) {
            if (buckets.size() >= MAX_SOURCES) {
                return allowWhenFull; // full of sources all active within the last second: do not grow
            }
            b = new Bucket();
            b.tokens = MAX_TOKENS - PACKET_COST;
            b.last = nowNanos;
            buckets.put(key, b);
            return true;
        }
        b.tokens = Math.min(MAX_TOKENS, b.tokens + Math.max(0, nowNanos - b.last));
        b.last = nowNanos;
        if (b.tokens >= PACKET_COST) {
            b.tokens -= PACKET_COST;
            return true;
        }
        return false;
    }

    /**
     * True if {@code address} has no token left now: a message from it would be refused even with a valid cookie, so
     * the caller can refuse it before checking mac2 (which costs more than the rest of the refusal). Takes nothing:
     * only {@link #allow} after a verified mac2 spends tokens, so a sender that cannot receive at an address cannot
     * use up that address's share.
     */
    synchronized boolean exhausted(InetAddress address, long nowNanos) {
        Bucket b = buckets.get(Source.of(address));
        return b != null && Math.min(MAX_TOKENS, b.tokens + Math.max(0, nowNanos - b.last)) < PACKET_COST;
    }

    synchronized int sources() {
        return buckets.size();
    }

    private void sweep(long nowNanos) {
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            if (nowNanos - it.next().last >= IDLE_NANOS) {
                it.remove();
            }
        }
        lastSweep = nowNanos;
        swept = true;
    }
}
