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
 *
 * <p>Copies of private keys: the JDK takes a scalar through {@code XECPrivateKeySpec} and keeps it in its own key
 * object, and neither can be cleared (their {@code destroy()} throws {@code DestroyFailedException} in JDK 25); they
 * stay in the heap until the garbage collector reuses the memory. So a static key, used in every handshake, is
 * converted once ({@link #prepare}) instead of once per Diffie-Hellman: one such copy per private key for the life
 * of the identity, not one per handshake. Ephemeral keys leave one copy per handshake; our own arrays are zeroed.
 */
public final class X25519 {
    private static final BigInteger BASEPOINT_U = BigInteger.valueOf(9);
    private static final ThreadLocal<KeyFactory> FACTORY = ThreadLocal.withInitial(() -> instance(() -> KeyFactory.getInstance("XDH")));
    private static final ThreadLocal<KeyAgreement> AGREEMENT =
            ThreadLocal.withInitial(() -> instance(() -> KeyAgreement.getInstance("X25519")));

    /** A private key in the JDK's form, made once for the many Diffie-Hellmans of a static key. */
    public static final class PreparedKey {
        private final PrivateKey key;

        private PreparedKey(PrivateKey key) {
            this.key = key;
        }

        @Override
        public String toString() {
            return "X25519.PreparedKey"; // never the key
        }
    }

    private X25519() {
    }

    /**
     * Makes the calling thread's JDK objects (a KeyFactory and a KeyAgreement, one per thread) and runs one
     * Diffie-Hellman on them with a throwaway key: a data-path thread calls it when it starts, so that its first
     * handshake does not pay for the provider look-ups and first initializations (about half a millisecond each,
     * measured on a gateway's first handshake).
     */
    public static void prepareThread() {
        Key k = generatePrivate(new SecureRandom());
        publicKey(k).destroy();
        k.destroy();
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
        return nonZero(compute(privateKey, uCoordinate(publicKey)));
    }

    private static Optional<Key> nonZero(byte[] out) {
        if (out == null) {
            return Optional.empty();
        }
        try {
            return isZero(out) ? Optional.empty() : Optional.of(Key.of(out));
        } finally {
            Arrays.fill(out, (byte) 0);
        }
    }

    /** Converts a private key once into the JDK's form (see the class comment on copies). */
    public static PreparedKey prepare(Key privateKey) {
        byte[] scalar = privateKey.bytes();
        try {
            return new PreparedKey(FACTORY.get().generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK refused an X25519 private key", e);
        } finally {
            Arrays.fill(scalar, (byte) 0);
        }
    }

    /** X25519(priv, pub) with a prepared private key; empty for a small-order point, as {@link #sharedSecret(Key, Key)}. */
    public static Optional<Key> sharedSecret(PreparedKey privateKey, Key publicKey) {
        return nonZero(agree(privateKey.key, uCoordinate(publicKey)));
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
            return agree(FACTORY.get().generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar)), u);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        } finally {
            Arrays.fill(scalar, (byte) 0);
        }
    }

    private static byte[] agree(PrivateKey priv, BigInteger u) {
        try {
            PublicKey pub = FACTORY.get().generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, u));
            KeyAgreement ka = AGREEMENT.get();
            ka.init(priv);
            ka.doPhase(pub, true);
            return ka.generateSecret();
        } catch (GeneralSecurityException | IllegalArgumentException | IllegalStateException e) {
            return null;
        }
    }

    private interface Factory<T> {
        T get() throws GeneralSecurityException;
    }

    private static <T> T instance(Factory<T> f) {
        try {
            return f.get();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no X25519", e);
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
