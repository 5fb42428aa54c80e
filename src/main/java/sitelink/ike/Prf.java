package sitelink.ike;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The negotiated PRF (HMAC-SHA2, RFC 4868) and prf+ (RFC 7296 section 2.13). */
public final class Prf {
    private final String algorithm;
    private final int length;

    public Prf(int id) {
        switch (id) {
            case Ike.PRF_HMAC_SHA2_256 -> { algorithm = "HmacSHA256"; length = 32; }
            case Ike.PRF_HMAC_SHA2_384 -> { algorithm = "HmacSHA384"; length = 48; }
            case Ike.PRF_HMAC_SHA2_512 -> { algorithm = "HmacSHA512"; length = 64; }
            default -> throw new IllegalArgumentException("unsupported PRF " + id);
        }
    }

    /** Output (and preferred key) length in bytes. */
    public int length() {
        return length;
    }

    public byte[] apply(byte[] key, byte[]... data) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, algorithm)); // an empty HMAC key is all zeros
            for (byte[] d : data) {
                mac.update(d);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " failed", e);
        }
    }

    /** prf+(K, S) = T1 | T2 | ... with Tn = prf(K, Tn-1 | S | n), the first {@code n} bytes. */
    public byte[] plus(byte[] key, byte[] seed, int n) {
        if (n > 255 * length) {
            throw new IllegalArgumentException("prf+ yields at most 255 blocks");
        }
        byte[] out = new byte[n];
        byte[] t = new byte[0];
        for (int i = 1, pos = 0; pos < n; i++) {
            t = apply(key, t, seed, new byte[] {(byte) i});
            System.arraycopy(t, 0, out, pos, Math.min(t.length, n - pos));
            pos += t.length;
        }
        return out;
    }
}
