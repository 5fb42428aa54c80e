package sitelink.crypto;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The data path's ChaCha20-Poly1305 (RFC 8439 section 2.8, no associated data), put together from the JDK's own two
 * primitives: its "ChaCha20" Cipher and its Poly1305, {@code com.sun.crypto.provider.Poly1305}, which the JDK's
 * "ChaCha20-Poly1305" Cipher uses inside and does not export (reached because the launchers pass
 * {@code --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED}). Neither primitive is ours, nor their intrinsics.
 *
 * <p>Why: the JCA's AEAD wants a {@code Cipher.init} per nonce, and each makes a new Poly1305 and two KiB of keystream
 * (the JDK's AVX-512 ChaCha20 makes 16 blocks a call): one block's first 32 bytes for the Poly1305 key, the rest thrown
 * away, then 16 blocks for the data, then 16 more for a full-size packet; 48 blocks for the 24 a 1420-byte packet
 * needs, and 1.7 KB of garbage. Here one ChaCha20 call makes block 0 (the Poly1305 key) and the data's first 15
 * blocks together, and one Poly1305 per thread is keyed again per packet: 22 % less time per full-size seal, a third
 * less for a small one (docs/benchmarks.md).
 *
 * <p>The bytes are the JDK AEAD's: checked when this class loads, against the JDK's "ChaCha20-Poly1305" on messages
 * of 0 to 2048 bytes, seal and open and a forged tag; any difference, no access to the class (a JVM without the
 * option, another JDK), or {@code -Dsitelink.crypto.composed=off}, and {@link #AVAILABLE} is false: the data path keeps
 * the JDK's AEAD ({@link ChaChaPoly}). Opening computes and compares the tag (in constant time) before it decrypts.
 * One instance per thread ({@link #forThread}): neither the Cipher nor the Poly1305 is thread-safe.
 */
final class ComposedChaChaPoly {
    /** {@code -Dsitelink.crypto.composed=off} keeps the JDK's AEAD on the data path. */
    static final String PROPERTY = "sitelink.crypto.composed";
    private static final int TAG = ChaChaPoly.TAG_LENGTH;
    private static final MethodHandle NEW_POLY1305;
    private static final MethodHandle INIT;
    private static final MethodHandle UPDATE;
    private static final MethodHandle FINISH;
    /** Why the composition is not used, or null when it is. */
    static final String UNAVAILABLE;
    static final boolean AVAILABLE;
    private static final ThreadLocal<ComposedChaChaPoly> PER_THREAD = ThreadLocal.withInitial(ComposedChaChaPoly::new);

    static {
        MethodHandle create = null, init = null, update = null, finish = null;
        String why = null;
        if ("off".equals(System.getProperty(PROPERTY))) {
            why = "-D" + PROPERTY + "=off";
        } else {
            try {
                Class<?> poly = Class.forName("com.sun.crypto.provider.Poly1305");
                MethodHandles.Lookup in = MethodHandles.privateLookupIn(poly, MethodHandles.lookup());
                create = in.findConstructor(poly, MethodType.methodType(void.class));
                init = in.findVirtual(poly, "engineInit",
                        MethodType.methodType(void.class, Key.class, AlgorithmParameterSpec.class));
                update = in.findVirtual(poly, "engineUpdate", MethodType.methodType(void.class, byte[].class, int.class,
                        int.class));
                finish = in.findVirtual(poly, "engineDoFinal", MethodType.methodType(byte[].class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                why = "no access to the JDK's Poly1305 (" + e + ")";
            }
        }
        NEW_POLY1305 = create;
        INIT = init;
        UPDATE = update;
        FINISH = finish;
        if (why == null) {
            why = selfTest();
        }
        UNAVAILABLE = why;
        AVAILABLE = why == null;
    }

    /**
     * One ChaCha20 to seal and one to open: the JDK refuses to encrypt under the key and nonce of a cipher's previous
     * initialisation, and an open of a message must not count as a previous seal.
     */
    private final Cipher sealing;
    private final Cipher opening;
    private final Object poly1305;
    private final byte[] zeros = new byte[64];
    /** ChaCha20 block 0: the first 32 bytes key Poly1305; zeroed once used. */
    private final byte[] block0 = new byte[64];
    private final byte[] lengths = new byte[16];
    private final byte[] tag = new byte[TAG];

    private ComposedChaChaPoly() {
        try {
            sealing = Cipher.getInstance("ChaCha20");
            opening = Cipher.getInstance("ChaCha20");
            poly1305 = NEW_POLY1305.invoke();
        } catch (Throwable t) {
            throw new IllegalStateException("ChaCha20 or Poly1305 unavailable", t);
        }
    }

    /** The calling thread's instance; only when {@link #AVAILABLE}. */
    static ComposedChaChaPoly forThread() {
        return PER_THREAD.get();
    }

    /**
     * Seals {@code in[inOff, inOff+len)} into {@code out[outOff...]}, ciphertext then tag; returns len + 16. In place,
     * at or before the input in the same array, or into memory apart from it (as the JDK's AEAD: not ahead of it).
     *
     * @throws InvalidKeyException when the JDK refuses the key and nonce (it sealed with them last: a nonce reuse)
     */
    int seal(SecretKey key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff)
            throws InvalidKeyException {
        try {
            start(sealing, Cipher.ENCRYPT_MODE, key, counter);
            sealing.doFinal(in, inOff, len, out, outOff);
            authenticate(out, outOff, len);
        } catch (InvalidKeyException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", t);
        }
        System.arraycopy(tag, 0, out, outOff + len, TAG);
        return len + TAG;
    }

    /**
     * Opens {@code in[inOff, inOff+len)} (ciphertext then tag) into {@code out[outOff...]}: the plaintext length, or -1
     * when the tag does not match (nothing is decrypted then). In place, into the same array at or before the input (a
     * stream cipher working forward), or into memory apart from it.
     */
    int open(SecretKey key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff) {
        int n = len - TAG;
        if (n < 0) {
            return -1;
        }
        try {
            start(opening, Cipher.DECRYPT_MODE, key, counter);
            authenticate(in, inOff, n);
            int diff = 0;
            for (int i = 0; i < TAG; i++) {
                diff |= tag[i] ^ in[inOff + n + i];
            }
            if (diff != 0) {
                return -1;
            }
            opening.doFinal(in, inOff, n, out, outOff);
            return n;
        } catch (Throwable t) {
            throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", t);
        }
    }

    /** ChaCha20 at counter 0 under key and nonce; block 0 keys Poly1305, the data starts at block 1 (RFC 8439 2.8). */
    private void start(Cipher chacha, int mode, SecretKey key, long counter) throws Throwable {
        chacha.init(mode, key, new ChaCha20ParameterSpec(ChaChaPoly.nonce(counter), 0));
        chacha.update(zeros, 0, 64, block0, 0);
        try {
            INIT.invoke(poly1305, new SecretKeySpec(block0, 0, 32, "Poly1305"), (AlgorithmParameterSpec) null);
        } finally {
            Arrays.fill(block0, (byte) 0);
        }
    }

    /** The tag of {@code c[off, off+len)}, no associated data: ciphertext, zeros to 16, 0 and len little-endian. */
    private void authenticate(byte[] c, int off, int len) throws Throwable {
        UPDATE.invoke(poly1305, c, off, len);
        int pad = -len & 15;
        if (pad > 0) {
            UPDATE.invoke(poly1305, zeros, 0, pad);
        }
        for (int i = 0; i < 8; i++) {
            lengths[8 + i] = (byte) ((long) len >>> (8 * i)); // the first 8: the associated data's length, 0
        }
        UPDATE.invoke(poly1305, lengths, 0, 16);
        byte[] t = (byte[]) FINISH.invoke(poly1305);
        System.arraycopy(t, 0, tag, 0, TAG);
    }

    /** Null when the composition seals and opens exactly as the JDK's AEAD; else what differed. */
    private static String selfTest() {
        try {
            SecureRandom random = new SecureRandom();
            ComposedChaChaPoly composed = new ComposedChaChaPoly();
            Cipher jdk = Cipher.getInstance("ChaCha20-Poly1305");
            int counter = 0;
            for (int size : new int[] {0, 1, 15, 16, 17, 63, 64, 65, 1008, 1024, 1040, 1420, 2048}) {
                byte[] k = new byte[ChaChaPoly.KEY_LENGTH];
                random.nextBytes(k);
                SessionKey key = new SessionKey(k);
                byte[] plain = new byte[size];
                random.nextBytes(plain);
                byte[] ours = new byte[size + TAG];
                composed.seal(key, ++counter, plain, 0, size, ours, 0);
                jdk.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(ChaChaPoly.nonce(counter)));
                byte[] theirs = jdk.doFinal(plain);
                byte[] back = new byte[size];
                if (!Arrays.equals(ours, theirs)) {
                    return "sealed " + size + " bytes unlike the JDK's ChaCha20-Poly1305";
                }
                if (composed.open(key, counter, theirs, 0, theirs.length, back, 0) != size || !Arrays.equals(back, plain)) {
                    return "did not open " + size + " bytes the JDK's ChaCha20-Poly1305 sealed";
                }
                theirs[random.nextInt(theirs.length)] ^= 1;
                if (composed.open(key, counter, theirs, 0, theirs.length, back, 0) != -1) {
                    return "opened a forged message of " + size + " bytes";
                }
                key.destroy();
            }
            return null;
        } catch (GeneralSecurityException | RuntimeException e) {
            return "its self-test failed (" + e + ")";
        }
    }
}
