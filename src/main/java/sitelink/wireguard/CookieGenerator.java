package sitelink.wireguard;

import sitelink.tunnel.Clock;

import java.util.Arrays;
import sitelink.crypto.Blake2s;
import sitelink.crypto.Key;
import sitelink.crypto.XChaChaPoly;

/**
 * The sending side of WireGuard's DoS protection (whitepaper section 5.4.4 and 5.4.7), one per peer: fills mac1
 * of each handshake message we send, and mac2 while we hold a fresh cookie from the peer. Thread-safe.
 */
public final class CookieGenerator {
    /**
     * A cookie is used for this long after it arrived: the responder's secret lives COOKIE_REFRESH_TIME, less a
     * margin for the time the cookie spent in flight (the kernel's COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY).
     */
    static final long COOKIE_VALID_NANOS = Constants.COOKIE_REFRESH_TIME_NANOS - Constants.COOKIE_SECRET_LATENCY.toNanos();

    private final Clock clock;
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final byte[] lastMac1 = new byte[Blake2s.MAC_LENGTH];
    private boolean hasLastMac1;
    private final byte[] cookie = new byte[Blake2s.MAC_LENGTH];
    private boolean hasCookie;
    private long cookieSetNanos;

    public CookieGenerator(Key remoteStatic, Clock clock) {
        this.clock = clock;
        this.mac1Key = LocalIdentity.mac1KeyFor(remoteStatic);
        this.cookieKey = LocalIdentity.cookieKeyFor(remoteStatic);
    }

    /**
     * Fills mac1 of an initiation or response; fills mac2 when holding a cookie younger than
     * COOKIE_REFRESH_TIME - COOKIE_SECRET_LATENCY (else zeros it). Remembers mac1 to authenticate a cookie reply.
     */
    public synchronized void addMacs(byte[] msg) {
        int mac1 = CookieChecker.mac1Offset(msg, msg.length);
        if (mac1 < 0) {
            throw new IllegalArgumentException("MACs go on an initiation or a response");
        }
        int mac2 = mac1 + Blake2s.MAC_LENGTH;
        Blake2s.mac(mac1Key, msg, 0, mac1, msg, mac1);
        System.arraycopy(msg, mac1, lastMac1, 0, Blake2s.MAC_LENGTH);
        hasLastMac1 = true;
        if (hasCookie && clock.nanoTime() - cookieSetNanos < COOKIE_VALID_NANOS) {
            Blake2s.mac(cookie, msg, 0, mac2, msg, mac2);
        } else {
            Arrays.fill(msg, mac2, mac2 + Blake2s.MAC_LENGTH, (byte) 0);
        }
    }

    /**
     * Decrypts a 64-byte cookie reply with the last mac1 we sent as AAD and stores the cookie. False, storing
     * nothing, if it is malformed, we sent nothing yet, or it does not authenticate. The caller has matched its
     * receiver index to one of our handshakes.
     */
    public synchronized boolean consumeReply(byte[] reply) {
        if (!hasLastMac1 || Messages.classify(reply, reply.length) != Constants.MESSAGE_COOKIE_REPLY) {
            return false;
        }
        byte[] nonce = Arrays.copyOfRange(reply, Messages.COOKIE_NONCE, Messages.COOKIE_ENCRYPTED);
        byte[] plain = new byte[Blake2s.MAC_LENGTH];
        int n = XChaChaPoly.open(cookieKey, nonce, reply, Messages.COOKIE_ENCRYPTED,
                Blake2s.MAC_LENGTH + XChaChaPoly.TAG_LENGTH, lastMac1, plain, 0);
        if (n != Blake2s.MAC_LENGTH) {
            return false;
        }
        System.arraycopy(plain, 0, cookie, 0, Blake2s.MAC_LENGTH);
        Arrays.fill(plain, (byte) 0);
        hasCookie = true;
        cookieSetNanos = clock.nanoTime();
        return true;
    }
}
