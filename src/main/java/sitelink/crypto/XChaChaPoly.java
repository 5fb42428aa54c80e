package sitelink.crypto;

import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.crypto.engines.ChaChaEngine;

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03), used by WireGuard only to encrypt cookies (whitepaper
 * section 5.4.7). Neither JDK 25 nor Bouncy Castle 1.80 offers it, so it is composed as the draft defines it:
 * subkey = HChaCha20(key, nonce[0..16)), then ChaCha20-Poly1305 (the JDK's) with nonce 4 zero bytes ||
 * nonce[16..24).
 *
 * <p>HChaCha20 is the ChaCha20 block function without the final feed-forward addition, keeping words 0-3 and
 * 12-15. Bouncy Castle exposes the block function as {@link ChaChaEngine#chachaCore}, which adds the input
 * state back; we subtract it again (mod 2^32) to get the raw permutation output. This is the only arithmetic
 * done here; the rounds are Bouncy Castle's, and the result is checked against the draft's HChaCha20 vector
 * (section 2.2.1) and AEAD vector (A.3.1).
 */
public final class XChaChaPoly {
    public static final int NONCE_LENGTH = 24;
    public static final int TAG_LENGTH = ChaChaPoly.TAG_LENGTH;
    /** "expand 32-byte k" as four little-endian words. */
    private static final int[] SIGMA = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};

    private XChaChaPoly() {
    }

    /** HChaCha20(key, nonce16): a 32-byte subkey. */
    public static byte[] hChaCha20(byte[] key, byte[] nonce, int nonceOff) {
        int[] state = new int[16];
        System.arraycopy(SIGMA, 0, state, 0, 4);
        for (int i = 0; i < 8; i++) {
            state[4 + i] = le32(key, 4 * i);
        }
        for (int i = 0; i < 4; i++) {
            state[12 + i] = le32(nonce, nonceOff + 4 * i);
        }
        int[] x = new int[16];
        ChaChaEngine.chachaCore(20, state, x);
        byte[] out = new byte[32];
        for (int i = 0; i < 4; i++) {
            put32(out, 4 * i, x[i] - state[i]);
            put32(out, 16 + 4 * i, x[12 + i] - state[12 + i]);
        }
        Arrays.fill(state, 0);
        Arrays.fill(x, 0);
        return out;
    }

    /** Encrypts in[inOff, inOff+len) into out[outOff...] plus the tag; returns len + 16. */
    public static int seal(byte[] key, byte[] nonce24, byte[] in, int inOff, int len, byte[] aad, byte[] out, int outOff) {
        byte[] subkey = hChaCha20(key, nonce24, 0);
        try {
            return ChaChaPoly.sealWithNonce(subkey, innerNonce(nonce24), in, inOff, len, aad, out, outOff);
        } finally {
            ChaChaPoly.zero(subkey);
        }
    }

    /** The plaintext length, or -1 if it does not authenticate. */
    public static int open(byte[] key, byte[] nonce24, byte[] in, int inOff, int len, byte[] aad, byte[] out, int outOff) {
        byte[] subkey = hChaCha20(key, nonce24, 0);
        try {
            return ChaChaPoly.openWithNonce(subkey, innerNonce(nonce24), in, inOff, len, aad, out, outOff);
        } finally {
            ChaChaPoly.zero(subkey);
        }
    }

    public static byte[] seal(byte[] key, byte[] nonce24, byte[] plaintext, byte[] aad) {
        byte[] out = new byte[plaintext.length + TAG_LENGTH];
        seal(key, nonce24, plaintext, 0, plaintext.length, aad, out, 0);
        return out;
    }

    public static Optional<byte[]> open(byte[] key, byte[] nonce24, byte[] ciphertext, byte[] aad) {
        if (ciphertext.length < TAG_LENGTH) {
            return Optional.empty();
        }
        byte[] out = new byte[ciphertext.length - TAG_LENGTH];
        return open(key, nonce24, ciphertext, 0, ciphertext.length, aad, out, 0) < 0 ? Optional.empty() : Optional.of(out);
    }

    private static byte[] innerNonce(byte[] nonce24) {
        if (nonce24.length != NONCE_LENGTH) {
            throw new IllegalArgumentException("an XChaCha20 nonce is 24 bytes, not " + nonce24.length);
        }
        byte[] n = new byte[ChaChaPoly.NONCE_LENGTH];
        System.arraycopy(nonce24, 16, n, 4, 8);
        return n;
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static void put32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }
}
