package sitelink.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class HandshakeRateLimiterTest {
    private static final long SECOND = 1_000_000_000L;
    private final HandshakeRateLimiter limiter = new HandshakeRateLimiter();
    private long now = 7 * SECOND;

    @Test
    void allowsABurstOfFiveThenTwentyASecond() {
        InetAddress a = ip("198.18.4.10");
        for (int i = 0; i < HandshakeRateLimiter.PACKETS_BURSTABLE; i++) {
            assertTrue(limiter.allow(a, now), "burst " + i);
        }
        assertFalse(limiter.allow(a, now), "the sixth at the same instant");
        int allowed = 0;
        for (int ms = 1; ms <= 10_000; ms++) { // ten seconds of one attempt per millisecond
            now += 1_000_000L;
            allowed += limiter.allow(a, now) ? 1 : 0;
        }
        assertTrue(allowed >= 195 && allowed <= 201, "about 20 a second over ten seconds: " + allowed);
    }

    @Test
    void exhaustedLooksWithoutSpending() {
        InetAddress a = ip("198.18.4.10");
        assertFalse(limiter.exhausted(a, now), "an address never seen has its whole burst");
        for (int i = 0; i < HandshakeRateLimiter.PACKETS_BURSTABLE; i++) {
            assertFalse(limiter.exhausted(a, now));
            assertTrue(limiter.allow(a, now));
        }
        for (int i = 0; i < 100; i++) {
            assertTrue(limiter.exhausted(a, now), "looking spends nothing, and nothing is left");
        }
        now += SECOND / HandshakeRateLimiter.PACKETS_PER_SECOND;
        assertFalse(limiter.exhausted(a, now), "one token back after 50 ms");
        assertTrue(limiter.allow(a, now));
    }

    @Test
    void eachAddressHasItsOwnBucketButAnIpv6Slash64IsOneSource() {
        for (int i = 0; i < HandshakeRateLimiter.PACKETS_BURSTABLE; i++) {
            limiter.allow(ip("198.18.4.10"), now);
            limiter.allow(ip("2001:db8:1:2::1"), now);
        }
        assertFalse(limiter.allow(ip("198.18.4.10"), now));
        assertTrue(limiter.allow(ip("198.18.4.11"), now), "another address is not limited by the first");
        assertFalse(limiter.allow(ip("2001:db8:1:2:ffff::9"), now), "same /64");
        assertTrue(limiter.allow(ip("2001:db8:1:3::1"), now), "another /64");
    }

    @Test
    void memoryIsBoundedAndIdleSourcesAreForgotten() {
        for (int i = 0; i < HandshakeRateLimiter.MAX_SOURCES; i++) {
            assertTrue(limiter.allow(ip("198.18." + (i >> 8) + "." + (i & 255)), now));
        }
        assertFalse(limiter.allow(ip("198.19.0.1"), now), "a full table refuses a new source instead of growing");
        assertEquals(HandshakeRateLimiter.MAX_SOURCES, limiter.sources());
        now += SECOND;
        assertTrue(limiter.allow(ip("198.19.0.1"), now), "after a second of silence the old entries are gone");
        assertEquals(1, limiter.sources());
    }

    @Test
    void theCookieReplyLimitAnswersNewSourcesWhenItsTableIsFullOfUnprovenOnes() {
        HandshakeRateLimiter cookies = HandshakeRateLimiter.failingOpen();
        for (int i = 0; i < HandshakeRateLimiter.MAX_SOURCES; i++) { // a flood from made-up source addresses
            assertTrue(cookies.allow(ip("198.18." + (i >> 8) + "." + (i & 255)), now));
        }
        for (int i = 0; i < 2 * HandshakeRateLimiter.PACKETS_BURSTABLE; i++) {
            assertTrue(cookies.allow(ip("198.19.0.1"), now), "a real peer arriving now still gets its cookie reply");
        }
        assertEquals(HandshakeRateLimiter.MAX_SOURCES, cookies.sources(), "without growing the table");
        for (int i = 0; i < HandshakeRateLimiter.PACKETS_BURSTABLE - 1; i++) {
            assertTrue(cookies.allow(ip("198.18.0.0"), now));
        }
        assertFalse(cookies.allow(ip("198.18.0.0"), now), "a source in the table is still held to its share");
    }

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
