package sitelink.crypto;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The three BLAKE2s functions of the WireGuard whitepaper (section 5.4): HASH = BLAKE2s with a 32-byte digest,
 * MAC = keyed BLAKE2s with a 16-byte digest, HMAC = RFC 2104 HMAC over BLAKE2s (block size 64). All from
 * Bouncy Castle's lightweight API; nothing here is hand-written crypto.
 */
public final class Blake2s {
    public static final int HASH_LENGTH = 32;
    public static final int MAC_LENGTH = 16;

    private Blake2s() {
    }

    /** HASH(parts[0] || parts[1] || ...). */
    public static byte[] hash(byte[]... parts) {
        Blake2sDigest d = new Blake2sDigest(HASH_LENGTH * 8);
        for (byte[] p : parts) {
            d.update(p, 0, p.length);
        }
        byte[] out = new byte[HASH_LENGTH];
        d.doFinal(out, 0);
        return out;
    }

    /** MAC(key, input[off, off+len)): keyed BLAKE2s, 16-byte output. The key is 1 to 32 bytes. */
    public static byte[] mac(byte[] key, byte[] input, int off, int len) {
        byte[] out = new byte[MAC_LENGTH];
        mac(key, input, off, len, out, 0);
        return out;
    }

    /** As {@link #mac(byte[], byte[], int, int)}, writing the 16 bytes to out[outOff...]. */
    public static void mac(byte[] key, byte[] input, int off, int len, byte[] out, int outOff) {
        Blake2sDigest d = new Blake2sDigest(key, MAC_LENGTH, null, null);
        d.update(input, off, len);
        d.doFinal(out, outOff);
        d.clearKey();
    }

    /** HMAC(key, parts[0] || parts[1] || ...), 32 bytes. */
    public static byte[] hmac(byte[] key, byte[]... parts) {
        HMac h = new HMac(new Blake2sDigest(HASH_LENGTH * 8));
        h.init(new KeyParameter(key));
        for (byte[] p : parts) {
            h.update(p, 0, p.length);
        }
        byte[] out = new byte[HASH_LENGTH];
        h.doFinal(out, 0);
        h.reset();
        return out;
    }
}
