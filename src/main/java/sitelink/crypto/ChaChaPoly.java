package sitelink.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.SecretKey;

/**
 * ChaCha20-Poly1305 (RFC 8439) as WireGuard uses it: 32-byte key, 96-bit nonce made of 4 zero bytes and a
 * little-endian 64-bit counter (whitepaper section 5.4). Through the JDK's "ChaCha20-Poly1305" Cipher, one per
 * thread because a Cipher is not thread-safe. Offsets let the data path seal and open in place or into a
 * preallocated buffer; input and output may overlap.
 *
 * <p>The JDK refuses to encrypt twice in a row under one key and nonce. That guard stays on: WireGuard never seals
 * twice under one key and nonce (the send counter only grows, handshake keys are fresh per message), so a refusal
 * means a bug, a nonce about to be reused, and it fails loudly with {@link NonceReuseException} instead of sealing.
 *
 * <p>Transport messages ({@link #sealTransport}, {@link #openTransport}: the data path) go through
 * {@link ComposedChaChaPoly} when it is available: the same bytes from the JDK's ChaCha20 and Poly1305 without the
 * JCA AEAD's per-packet set-up. Handshake messages (with associated data) always take the JDK's AEAD.
 *
 * <p>Key copies: the cipher takes the key through {@link SecretKey#getEncoded()}; the keys given to it here hand out a
 * fresh copy that the cipher owns and zeroes when it is initialised with the next key. So no per-packet copy is left
 * to the garbage collector; what remains is the copy inside each thread's cipher until its next use.
 */
public final class ChaChaPoly {
    public static final int KEY_LENGTH = 32;
    public static final int NONCE_LENGTH = 12;
    public static final int TAG_LENGTH = 16;
    private static final byte[] EMPTY = new byte[0];
    private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(ChaChaPoly::newCipher);

    /** Thrown instead of sealing twice under one key and nonce. */
    public static final class NonceReuseException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NonceReuseException(Throwable cause) {
            super("refusing to seal twice under the same ChaCha20-Poly1305 key and nonce", cause);
        }
    }

    private ChaChaPoly() {
    }

    /**
     * Makes the calling thread's JDK cipher now and seals one empty message under a random key with it (the cipher
     * refuses a key and nonce it sealed with last, so not a fixed key), and the same through the thread's transport
     * path ({@link ComposedChaChaPoly}: two ChaCha20 ciphers and a Poly1305 per thread), sealing and opening, so that
     * the thread's first packet or handshake does not pay for the ciphers' look-up and first initialization (see
     * {@code X25519.prepareThread}).
     */
    public static void prepareThread() {
        byte[] key = new byte[KEY_LENGTH];
        new java.security.SecureRandom().nextBytes(key);
        byte[] sealed = new byte[TAG_LENGTH];
        seal(key, 0, EMPTY, 0, 0, null, sealed, 0);
        SessionKey k = new SessionKey(key.clone());
        sealTransport(k, 1, EMPTY, 0, 0, sealed, 0);
        openTransport(k, 1, sealed, 0, TAG_LENGTH, EMPTY, 0);
        k.destroy();
        java.util.Arrays.fill(key, (byte) 0);
    }

    /** What seals and opens transport messages, for the log: the composition, or the JDK's AEAD and why. */
    public static String transportEngine() {
        return ComposedChaChaPoly.AVAILABLE ? "the JDK's ChaCha20 and Poly1305, composed (RFC 8439 2.8)"
                : "the JDK's ChaCha20-Poly1305 Cipher (" + ComposedChaChaPoly.UNAVAILABLE + ")";
    }

    /** The WireGuard nonce for a counter: 4 zero bytes then the counter little-endian. */
    public static byte[] nonce(long counter) {
        byte[] n = new byte[NONCE_LENGTH];
        for (int i = 0; i < 8; i++) {
            n[4 + i] = (byte) (counter >>> (8 * i));
        }
        return n;
    }

    /**
     * Encrypts in[inOff, inOff+len) into out[outOff...] followed by the 16-byte tag; returns len + 16.
     * aad may be null (empty).
     */
    public static int seal(byte[] key, long counter, byte[] in, int inOff, int len, byte[] aad, byte[] out, int outOff) {
        return sealWithNonce(key, nonce(counter), in, inOff, len, aad, out, outOff);
    }

    /**
     * A transport message's sealing: no associated data, under a key the caller keeps live (a {@link SessionKey} it
     * acquired). The data path's own method, apart from the handshake's (which seals with associated data): the JIT
     * compiles the data path from a profile of transport messages alone, and a handshake going through the same
     * method took a branch that profile never saw (the associated data), a trap that threw the compiled method away
     * at the first handshake after a transfer. The same per-thread cipher as the handshake's.
     */
    public static int sealTransport(SecretKey key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (ComposedChaChaPoly.AVAILABLE) {
            try {
                return ComposedChaChaPoly.forThread().seal(key, counter, in, inOff, len, out, outOff);
            } catch (InvalidKeyException e) {
                throw new NonceReuseException(e); // the JDK's guard: this key and nonce sealed the previous message
            }
        }
        Cipher c = CIPHER.get();
        try {
            c.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce(counter)));
        } catch (InvalidKeyException e) {
            throw new NonceReuseException(e); // the JDK's guard: this key and nonce sealed the previous message
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 initialisation failed", e);
        }
        try {
            return c.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
        }
    }

    /** Decrypts in[inOff, inOff+len) (ciphertext and tag) into out[outOff...]; the plaintext length, or -1 if it does not authenticate. */
    public static int open(byte[] key, long counter, byte[] in, int inOff, int len, byte[] aad, byte[] out, int outOff) {
        return openWithNonce(key, nonce(counter), in, inOff, len, aad, out, outOff);
    }

    /** A transport message's opening: no associated data, under a key the caller keeps live ({@link #sealTransport}). */
    public static int openTransport(SecretKey key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (len < TAG_LENGTH) {
            return -1;
        }
        if (ComposedChaChaPoly.AVAILABLE) {
            return ComposedChaChaPoly.forThread().open(key, counter, in, inOff, len, out, outOff);
        }
        Cipher c = CIPHER.get();
        try {
            c.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce(counter)));
            return c.doFinal(in, inOff, len, out, outOff);
        } catch (AEADBadTagException e) {
            return -1;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
        }
    }

    public static byte[] seal(byte[] key, long counter, byte[] plaintext, byte[] aad) {
        byte[] out = new byte[plaintext.length + TAG_LENGTH];
        seal(key, counter, plaintext, 0, plaintext.length, aad, out, 0);
        return out;
    }

    public static Optional<byte[]> open(byte[] key, long counter, byte[] ciphertext, byte[] aad) {
        if (ciphertext.length < TAG_LENGTH) {
            return Optional.empty();
        }
        byte[] out = new byte[ciphertext.length - TAG_LENGTH];
        return open(key, counter, ciphertext, 0, ciphertext.length, aad, out, 0) < 0 ? Optional.empty() : Optional.of(out);
    }

    /** A caller's key array for one operation: a copy of it, zeroed when the operation ends (the cipher zeroes its own). */
    static int sealWithNonce(byte[] key, byte[] nonce, byte[] in, int inOff, int len, byte[] aad, byte[] out, int outOff) {
        SessionKey k = new SessionKey(key.clone());
        try {
            return sealWithNonce(k, nonce, in, inOff, len, aad, out, outOff);
        } finally {
            k.destroy();
        }
    }

    static int openWithNonce(byte[] key, byte[] nonce, byte[] in, int inOff, int len, byte[] aad, byte[] out, int outOff) {
        SessionKey k = new SessionKey(key.clone());
        try {
            return openWithNonce(k, nonce, in, inOff, len, aad, out, outOff);
        } finally {
            k.destroy();
        }
    }

    private static int sealWithNonce(SecretKey key, byte[] nonce, byte[] in, int inOff, int len, byte[] aad, byte[] out,
                                     int outOff) {
        Cipher c = CIPHER.get();
        try {
            c.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
        } catch (InvalidKeyException e) {
            throw new NonceReuseException(e); // the JDK's guard: this key and nonce sealed the previous message
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 initialisation failed", e);
        }
        try {
            c.updateAAD(aad == null ? EMPTY : aad);
            return c.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
        }
    }

    private static int openWithNonce(SecretKey key, byte[] nonce, byte[] in, int inOff, int len, byte[] aad, byte[] out,
                                     int outOff) {
        if (len < TAG_LENGTH) {
            return -1;
        }
        Cipher c = CIPHER.get();
        try {
            c.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
            c.updateAAD(aad == null ? EMPTY : aad);
            return c.doFinal(in, inOff, len, out, outOff);
        } catch (AEADBadTagException e) {
            return -1;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no ChaCha20-Poly1305", e);
        }
    }

    static void zero(byte[] b) {
        Arrays.fill(b, (byte) 0);
    }
}
