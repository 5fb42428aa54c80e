package sitelink.wireguard;

import sitelink.tunnel.Clock;

import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import sitelink.crypto.Blake2s;
import sitelink.crypto.XChaChaPoly;

/**
 * The receiving side of WireGuard's DoS protection (whitepaper section 5.3 and 5.4.7), one per device.
 * mac1 proves the sender knows our public key; under load, mac2 proves the sender can receive at its source
 * address, because it needs a cookie we sent there: cookie = MAC(secret, source IP || port), where the
 * random secret changes every COOKIE_REFRESH_TIME. Thread-safe.
 */
public final class CookieChecker {
    private final LocalIdentity local;
    private final SecureRandom random;
    private final Clock clock;
    private final byte[] secret = new byte[32];
    private boolean secretSet;
    private long secretSetNanos;

    public CookieChecker(LocalIdentity local, SecureRandom random, Clock clock) {
        this.local = local;
        this.random = random;
        this.clock = clock;
    }

    /** Whether msg[0, len) is an initiation or response whose mac1 is MAC(HASH(LABEL_MAC1 || our key), msg up to mac1). */
    public boolean checkMac1(byte[] msg, int len) {
        int mac1 = mac1Offset(msg, len);
        if (mac1 < 0) {
            return false;
        }
        byte[] expected = Blake2s.mac(local.mac1Key(), msg, 0, mac1);
        return MessageDigest.isEqual(expected, Arrays.copyOfRange(msg, mac1, mac1 + Blake2s.MAC_LENGTH));
    }

    /**
     * Whether mac2 is MAC(cookie, msg up to mac2) for the cookie we would give src now. False when the secret is
     * older than COOKIE_REFRESH_TIME (or was never made), so a cookie stops working after at most two minutes.
     */
    public boolean checkMac2(byte[] msg, int len, InetSocketAddress src) {
        int mac1 = mac1Offset(msg, len);
        if (mac1 < 0) {
            return false;
        }
        int mac2 = mac1 + Blake2s.MAC_LENGTH;
        if (isZero(msg, mac2, Blake2s.MAC_LENGTH)) {
            return false; // a sender without a cookie sends zeros (whitepaper 5.4.4): no need to compute the real one
        }
        byte[] cookie;
        synchronized (this) {
            if (!secretSet || clock.nanoTime() - secretSetNanos > Constants.COOKIE_REFRESH_TIME_NANOS) {
                return false;
            }
            cookie = cookieFor(src);
        }
        byte[] expected = Blake2s.mac(cookie, msg, 0, mac2);
        Arrays.fill(cookie, (byte) 0);
        return MessageDigest.isEqual(expected, Arrays.copyOfRange(msg, mac2, mac2 + Blake2s.MAC_LENGTH));
    }

    /**
     * A 64-byte cookie reply to msg (an initiation or response that passed mac1): type 3, receiver = msg's sender
     * index, a random 24-byte nonce, and the cookie for src encrypted with XChaCha20-Poly1305 under
     * HASH(LABEL_COOKIE || our public key), with msg's mac1 as AAD so only msg's sender can use it.
     * Makes a new secret first if the current one is older than COOKIE_REFRESH_TIME.
     */
    public byte[] createReply(byte[] msg, int len, InetSocketAddress src) {
        int mac1 = mac1Offset(msg, len);
        if (mac1 < 0) {
            throw new IllegalArgumentException("a cookie reply answers an initiation or a response");
        }
        byte[] cookie;
        synchronized (this) {
            long now = clock.nanoTime();
            if (!secretSet || now - secretSetNanos > Constants.COOKIE_REFRESH_TIME_NANOS) {
                random.nextBytes(secret);
                secretSet = true;
                secretSetNanos = now;
            }
            cookie = cookieFor(src);
        }
        byte[] reply = new byte[Constants.MESSAGE_COOKIE_REPLY_SIZE];
        Messages.putHeader(reply, 0, Constants.MESSAGE_COOKIE_REPLY);
        Messages.putInt(reply, Messages.COOKIE_RECEIVER, Messages.senderIndex(msg, 0));
        byte[] nonce = new byte[XChaChaPoly.NONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, reply, Messages.COOKIE_NONCE, nonce.length);
        byte[] aad = Arrays.copyOfRange(msg, mac1, mac1 + Blake2s.MAC_LENGTH);
        XChaChaPoly.seal(local.cookieKey(), nonce, cookie, 0, cookie.length, aad, reply, Messages.COOKIE_ENCRYPTED);
        Arrays.fill(cookie, (byte) 0);
        return reply;
    }

    /** MAC(secret, address bytes || port big-endian); the format is ours alone, only we verify it. */
    private byte[] cookieFor(InetSocketAddress src) {
        byte[] ip = src.getAddress().getAddress();
        byte[] input = Arrays.copyOf(ip, ip.length + 2);
        input[ip.length] = (byte) (src.getPort() >>> 8);
        input[ip.length + 1] = (byte) src.getPort();
        return Blake2s.mac(secret, input, 0, input.length);
    }

    private static boolean isZero(byte[] b, int off, int len) {
        int acc = 0;
        for (int i = off; i < off + len; i++) {
            acc |= b[i];
        }
        return acc == 0;
    }

    /** Offset of mac1 in an initiation (148) or response (92), or -1 for anything else. */
    static int mac1Offset(byte[] msg, int len) {
        return switch (Messages.classify(msg, len)) {
            case Constants.MESSAGE_INITIATION -> Messages.INITIATION_MAC1;
            case Constants.MESSAGE_RESPONSE -> Messages.RESPONSE_MAC1;
            default -> -1;
        };
    }
}
