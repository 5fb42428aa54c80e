package sitelink.ipsec;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import sitelink.tunnel.Clock;

/**
 * IKEv2 cookies (RFC 7296 section 2.6), the responder's defence against a flood of IKE_SA_INIT requests from forged
 * source addresses: each new IKE SA costs a Diffie-Hellman and a half-open session, and the addresses of configured
 * peers, the only ones answered at all, are easy to forge. Under load, a request without a valid cookie is answered with
 * N(COOKIE) alone, made without any state; a real initiator sends its request again with the cookie, which proves it
 * receives at its address, and only then is the work done. "Under load": more than {@link #PER_SECOND} new IKE SAs
 * asked for within a second, and for {@link #CALM_NANOS} after the last such second. The cookie is a version byte and HMAC-SHA-256 over Ni, the initiator's address and SPIi under a secret
 * replaced every {@link #SECRET_NANOS}; a cookie made under the secret before is still accepted, so a retry that
 * crossed a replacement is not asked again.
 */
final class IkeCookies {
    /** New IKE SAs asked for in one second beyond which cookies are required. */
    static final int PER_SECOND = Integer.getInteger("sitelink.ike.cookies_above", 10); // tests: 0 asks always
    /** Cookies stay required this long after the last second over the limit. */
    static final long CALM_NANOS = 10_000_000_000L;
    static final long SECRET_NANOS = 120_000_000_000L;
    private static final long SECOND = 1_000_000_000L;

    private final Clock clock;
    private final SecureRandom random;
    private final int limit;
    private byte[] secret, previous;
    private byte version;
    private long secretAt;
    private long windowStart;
    private int inWindow;
    private boolean loaded;
    private long loadedUntil;

    IkeCookies(Clock clock, SecureRandom random) {
        this(clock, random, PER_SECOND);
    }

    IkeCookies(Clock clock, SecureRandom random, int limit) {
        this.clock = clock;
        this.random = random;
        this.limit = limit;
        this.secretAt = clock.nanoTime();
        this.windowStart = secretAt;
        this.secret = randomSecret();
    }

    /** Counts one request for a new IKE SA and says whether it must bring a cookie. */
    synchronized boolean required() {
        long now = clock.nanoTime();
        if (now - windowStart >= SECOND) {
            windowStart = now;
            inWindow = 0;
        }
        if (++inWindow > limit) {
            loaded = true;
            loadedUntil = now + CALM_NANOS;
        }
        return loaded && now - loadedUntil < 0;
    }

    /** The cookie for an initiator's nonce, address and SPI, under the current secret. */
    synchronized byte[] make(byte[] nonce, InetAddress initiator, long spiI) {
        rotate();
        return cookie(version, secret, nonce, initiator, spiI);
    }

    /** Whether {@code cookie} is the one {@link #make} gave, under the current secret or the one before. */
    synchronized boolean valid(byte[] cookie, byte[] nonce, InetAddress initiator, long spiI) {
        rotate();
        if (cookie.length < 1) {
            return false;
        }
        byte[] key = cookie[0] == version ? secret : cookie[0] == (byte) (version - 1) && previous != null ? previous : null;
        return key != null && MessageDigest.isEqual(cookie, cookie(cookie[0], key, nonce, initiator, spiI));
    }

    private void rotate() {
        long now = clock.nanoTime();
        if (now - secretAt >= SECRET_NANOS) {
            if (previous != null) {
                Arrays.fill(previous, (byte) 0);
            }
            previous = secret;
            secret = randomSecret();
            version++;
            secretAt = now;
        }
    }

    private byte[] randomSecret() {
        byte[] s = new byte[32];
        random.nextBytes(s);
        return s;
    }

    private static byte[] cookie(byte version, byte[] key, byte[] nonce, InetAddress initiator, long spiI) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(nonce);
            mac.update(initiator.getAddress());
            mac.update(ByteBuffer.allocate(8).putLong(spiI).array());
            byte[] h = mac.doFinal();
            byte[] c = new byte[1 + h.length];
            c[0] = version;
            System.arraycopy(h, 0, c, 1, h.length);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no HmacSHA256", e);
        }
    }
}
