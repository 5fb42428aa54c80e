package sitelink.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * ChaCha20-Poly1305 (RFC 8439) as WireGuard uses it: 32-byte key, 96-bit nonce made of 4 zero bytes and a
 * little-endian 64-bit counter (whitepaper section 5.4). Through the JDK's "ChaCha20-Poly1305" Cipher, one per
 * thread because a Cipher is not thread-safe. Offsets let the data path seal and open in place or into a
 * preallocated buffer; input and output may overlap.
 */
public final class ChaChaPoly {
    public static final int KEY_LENGTH = 32;
    public static final int NONCE_LENGTH = 12;
    public static final int TAG_LENGTH = 16;
    private static final byte[] EMPTY = new byte[0];
    private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(ChaChaPoly::newCipher);
    private static final SecretKeySpec DUMMY_KEY = new SecretKeySpec(new byte[KEY_LENGTH], "ChaCha20");
    private static final IvParameterSpec DUMMY_NONCE = new IvParameterSpec(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});

    private ChaChaPoly() {
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

    /** Decrypts in[inOff, inOff+len) (ciphertext and tag) into out[outOff...]; the plaintext length, or -1 if it does not authenticate. */
    public static int open(byte[] key, long counter, byte[] in, int inOff, int len, byte[] aad, byte[] out, int outOff) {
        return openWithNonce(key, nonce(counter), in, inOff, len, aad, out, outOff);
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

    static int sealWithNonce(byte[] key, byte[] nonce, byte[] in, int inOff, int len, byte[] aad, byte[] out, int outOff) {
        Cipher c = CIPHER.get();
        try {
            init(c, Cipher.ENCRYPT_MODE, key, nonce);
            c.updateAAD(aad == null ? EMPTY : aad);
            return c.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
        }
    }

    static int openWithNonce(byte[] key, byte[] nonce, byte[] in, int inOff, int len, byte[] aad, byte[] out, int outOff) {
        if (len < TAG_LENGTH) {
            return -1;
        }
        Cipher c = CIPHER.get();
        try {
            init(c, Cipher.DECRYPT_MODE, key, nonce);
            c.updateAAD(aad == null ? EMPTY : aad);
            return c.doFinal(in, inOff, len, out, outOff);
        } catch (AEADBadTagException e) {
            return -1;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
        }
    }

    private static void init(Cipher c, int mode, byte[] key, byte[] nonce) throws GeneralSecurityException {
        SecretKeySpec k = new SecretKeySpec(key, "ChaCha20");
        IvParameterSpec iv = new IvParameterSpec(nonce);
        try {
            c.init(mode, k, iv);
        } catch (InvalidKeyException e) {
            // The JDK refuses to encrypt twice in a row under the same key and nonce (a guard against nonce
            // reuse). WireGuard never does that with a live key, but a thread may legitimately re-seal the
            // same value (e.g. a retransmitted handshake message derives it again), so reset and retry once.
            if (mode != Cipher.ENCRYPT_MODE) {
                throw e;
            }
            c.init(Cipher.ENCRYPT_MODE, DUMMY_KEY, DUMMY_NONCE);
            c.init(mode, k, iv);
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
