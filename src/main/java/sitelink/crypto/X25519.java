package sitelink.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.KeyAgreement;

/**
 * Curve25519 Diffie-Hellman (RFC 7748) through the JDK's "X25519" KeyAgreement, on raw 32-byte keys as WireGuard
 * stores them (little-endian scalars and u-coordinates).
 */
public final class X25519 {
    private static final BigInteger BASEPOINT_U = BigInteger.valueOf(9);

    private X25519() {
    }

    /** A fresh private key, clamped as {@code wg genkey} clamps it (RFC 7748 section 5, decodeScalar25519). */
    public static Key generatePrivate(SecureRandom random) {
        byte[] k = new byte[Key.LENGTH];
        random.nextBytes(k);
        clamp(k);
        Key key = Key.of(k);
        Arrays.fill(k, (byte) 0);
        return key;
    }

    /** Clamps a scalar in place: clear the 3 low bits, clear bit 255, set bit 254. */
    public static void clamp(byte[] k) {
        k[0] &= (byte) 248;
        k[31] = (byte) ((k[31] & 127) | 64);
    }

    /** X25519(priv, 9): the public key of a private key (the scalar is clamped by the operation itself). */
    public static Key publicKey(Key privateKey) {
        byte[] out = compute(privateKey, BASEPOINT_U);
        if (out == null) {
            throw new IllegalStateException("X25519 with the base point failed"); // cannot happen for a valid scalar
        }
        Key k = Key.of(out);
        Arrays.fill(out, (byte) 0);
        return k;
    }

    /**
     * X25519(priv, pub). Empty when the result is all zero, i.e. the peer's point has small order (RFC 7748
     * section 6.1 lets us abort there; WireGuard must, or a peer could force a known shared secret).
     */
    public static Optional<Key> sharedSecret(Key privateKey, Key publicKey) {
        byte[] out = compute(privateKey, uCoordinate(publicKey));
        if (out == null) {
            return Optional.empty();
        }
        try {
            return isZero(out) ? Optional.empty() : Optional.of(Key.of(out));
        } finally {
            Arrays.fill(out, (byte) 0);
        }
    }

    /** The little-endian u-coordinate with the top bit masked (RFC 7748 section 5). */
    private static BigInteger uCoordinate(Key publicKey) {
        byte[] le = publicKey.bytes();
        byte[] be = new byte[Key.LENGTH];
        for (int i = 0; i < Key.LENGTH; i++) {
            be[i] = le[Key.LENGTH - 1 - i];
        }
        be[0] &= 0x7f;
        return new BigInteger(1, be);
    }

    /** Raw X25519; null when the JDK refuses (it rejects small-order points itself). */
    private static byte[] compute(Key privateKey, BigInteger u) {
        byte[] scalar = privateKey.bytes();
        try {
            KeyFactory kf = KeyFactory.getInstance("XDH");
            PrivateKey priv = kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
            PublicKey pub = kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, u));
            KeyAgreement ka = KeyAgreement.getInstance("X25519");
            ka.init(priv);
            ka.doPhase(pub, true);
            return ka.generateSecret();
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        } finally {
            Arrays.fill(scalar, (byte) 0);
        }
    }

    private static boolean isZero(byte[] b) {
        int acc = 0;
        for (byte x : b) {
            acc |= x;
        }
        return acc == 0;
    }
}
