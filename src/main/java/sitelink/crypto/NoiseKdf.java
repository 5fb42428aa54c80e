package sitelink.crypto;

import java.util.Arrays;

/**
 * The HKDF of the WireGuard whitepaper (section 5.4): KDF_n(key, input) returns n 32-byte values
 * τ1..τn, where τ0 = HMAC(key, input), τ1 = HMAC(τ0, 0x1), τi = HMAC(τ0, τ(i-1) || i).
 * τ0 is zeroed before returning; callers zero the outputs they no longer need.
 */
public final class NoiseKdf {
    private static final byte[] ONE = {1};
    private static final byte[] TWO = {2};
    private static final byte[] THREE = {3};

    private NoiseKdf() {
    }

    public static byte[] kdf1(byte[] key, byte[] input) {
        return derive(key, input, 1)[0];
    }

    /** Returns {τ1, τ2}. */
    public static byte[][] kdf2(byte[] key, byte[] input) {
        return derive(key, input, 2);
    }

    /** Returns {τ1, τ2, τ3}. */
    public static byte[][] kdf3(byte[] key, byte[] input) {
        return derive(key, input, 3);
    }

    private static byte[][] derive(byte[] key, byte[] input, int n) {
        byte[] t0 = Blake2s.hmac(key, input);
        byte[][] out = new byte[n][];
        out[0] = Blake2s.hmac(t0, ONE);
        if (n > 1) {
            out[1] = Blake2s.hmac(t0, out[0], TWO);
        }
        if (n > 2) {
            out[2] = Blake2s.hmac(t0, out[1], THREE);
        }
        Arrays.fill(t0, (byte) 0);
        return out;
    }
}
