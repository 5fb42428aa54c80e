package sitelink.ipsec;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import sitelink.wireguard.FakeClock;

class IkeCookiesTest {
    private final FakeClock clock = new FakeClock();
    private static final InetAddress PEER = InetAddress.ofLiteral("198.51.100.2");
    private static final byte[] NONCE = new byte[32];

    @Test
    void requiredOnlyBeyondTheRateAndForTenSecondsAfter() {
        IkeCookies c = new IkeCookies(clock, new SecureRandom(), 10);
        for (int i = 0; i < 10; i++) {
            assertFalse(c.required(), "request " + (i + 1) + " of the second");
        }
        assertTrue(c.required(), "the eleventh within a second");
        clock.advance(Duration.ofSeconds(5));
        assertTrue(c.required(), "still under load 5 s later, though quiet");
        clock.advance(Duration.ofSeconds(6));
        assertFalse(c.required(), "calm again 11 s after the last busy second");
    }

    @Test
    void aCookieFitsOnlyItsNonceAddressAndSpiAndOutlivesOneSecretReplacement() {
        IkeCookies c = new IkeCookies(clock, new SecureRandom(), 0);
        byte[] cookie = c.make(NONCE, PEER, 42);
        assertTrue(c.valid(cookie, NONCE, PEER, 42));
        byte[] otherNonce = NONCE.clone();
        otherNonce[0] = 1;
        assertFalse(c.valid(cookie, otherNonce, PEER, 42));
        assertFalse(c.valid(cookie, NONCE, InetAddress.ofLiteral("198.51.100.3"), 42), "from another address");
        assertFalse(c.valid(cookie, NONCE, PEER, 43));
        byte[] forged = cookie.clone();
        forged[5] ^= 1;
        assertFalse(c.valid(forged, NONCE, PEER, 42));
        assertFalse(c.valid(new byte[0], NONCE, PEER, 42));
        clock.advance(Duration.ofSeconds(121));
        assertTrue(c.valid(cookie, NONCE, PEER, 42), "made under the secret before the current one");
        clock.advance(Duration.ofSeconds(121));
        assertFalse(c.valid(cookie, NONCE, PEER, 42), "two replacements later");
    }
}
