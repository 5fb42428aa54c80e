package sitelink.ike;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The protection of an SK payload in one direction (RFC 7296 section 3.14). With an AEAD, AES-GCM with a 16-byte ICV
 * (RFC 5282) or ChaCha20-Poly1305 (RFC 7634): keying material is the key followed by a 4-byte salt; the nonce is
 * salt || 8-byte explicit IV, a counter that never repeats under one key; the AAD is the IKE header through the SK
 * payload's generic header (RFC 5282 section 5.1). With AES-CBC and HMAC-SHA2 (RFC 4868): a random 16-byte IV, the
 * plaintext padded to whole blocks, and the ICV, HMAC truncated to half, over the whole message up to it, checked
 * before decrypting.
 */
public final class SkCipher {
    public static final int SALT_LENGTH = 4;
    private static final int AEAD_IV = 8, AEAD_ICV = 16, CBC_IV = 16;

    private final int encr;
    private final SecretKeySpec key;
    private final byte[] salt;
    private final String mac;
    private final SecretKeySpec macKey;
    private final int icvLength;
    private long nextIv = 1;
    /** CBC's unpredictable IVs (RFC 3602); null for an AEAD, whose IVs count. */
    private final java.security.SecureRandom random;

    /** An AEAD with its keying material (key and salt). */
    public SkCipher(int encr, byte[] keymat) {
        this.encr = encr;
        int keyLength = keymat.length - SALT_LENGTH;
        this.key = new SecretKeySpec(keymat, 0, keyLength, encr == Ike.ENCR_CHACHA20_POLY1305 ? "ChaCha20" : "AES");
        this.salt = Arrays.copyOfRange(keymat, keyLength, keymat.length);
        this.mac = null;
        this.macKey = null;
        this.icvLength = AEAD_ICV;
        this.random = null;
    }

    /** AES-CBC with an HMAC-SHA2 integrity algorithm (its IANA INTEG id) and the two keys; IVs from {@code random}. */
    public SkCipher(byte[] encKey, int integ, byte[] integKey, java.security.SecureRandom random) {
        this.random = random;
        this.encr = Ike.ENCR_AES_CBC;
        this.key = new SecretKeySpec(encKey, "AES");
        this.salt = new byte[0];
        this.mac = macName(integ);
        this.macKey = new SecretKeySpec(integKey, mac);
        this.icvLength = integKey.length / 2;
    }

    private static String macName(int integ) {
        return switch (integ) {
            case Ike.AUTH_HMAC_SHA2_256_128 -> "HmacSHA256";
            case Ike.AUTH_HMAC_SHA2_384_192 -> "HmacSHA384";
            case Ike.AUTH_HMAC_SHA2_512_256 -> "HmacSHA512";
            default -> throw new IllegalArgumentException("unsupported integrity algorithm " + integ);
        };
    }

    /** Encryption keying material length in bytes for an ENCR transform (for an AEAD key and salt). */
    public static int keymatLength(Transform encr) {
        return switch (encr.id()) {
            case Ike.ENCR_AES_GCM_16 -> encr.keyLength() / 8 + SALT_LENGTH;
            case Ike.ENCR_CHACHA20_POLY1305 -> 32 + SALT_LENGTH;
            case Ike.ENCR_AES_CBC -> encr.keyLength() / 8;
            default -> throw new IllegalArgumentException("not a supported encryption algorithm: " + encr);
        };
    }

    /** The integrity key's length in bytes for an INTEG transform id (the HMAC's output length, RFC 4868). */
    public static int integKeyLength(int integ) {
        return switch (integ) {
            case Ike.AUTH_HMAC_SHA2_256_128 -> 32;
            case Ike.AUTH_HMAC_SHA2_384_192 -> 48;
            case Ike.AUTH_HMAC_SHA2_512_256 -> 64;
            default -> throw new IllegalArgumentException("unsupported integrity algorithm " + integ);
        };
    }

    private boolean aead() {
        return mac == null;
    }

    int ivLength() {
        return aead() ? AEAD_IV : CBC_IV;
    }

    int icvLength() {
        return icvLength;
    }

    /** What the plaintext (payloads, padding, pad length) must be a multiple of. */
    int blockSize() {
        return aead() ? 1 : 16;
    }

    private byte[] hmac(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen) throws GeneralSecurityException {
        javax.crypto.Mac m = javax.crypto.Mac.getInstance(mac);
        m.init(macKey);
        m.update(a, aOff, aLen);
        m.update(b, bOff, bLen);
        return Arrays.copyOf(m.doFinal(), icvLength);
    }

    private Cipher cipher(int mode, byte[] iv) throws GeneralSecurityException {
        if (!aead()) {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(mode, key, new IvParameterSpec(iv));
            return c;
        }
        byte[] nonce = new byte[SALT_LENGTH + AEAD_IV];
        System.arraycopy(salt, 0, nonce, 0, SALT_LENGTH);
        System.arraycopy(iv, 0, nonce, SALT_LENGTH, AEAD_IV);
        Cipher c;
        if (encr == Ike.ENCR_CHACHA20_POLY1305) {
            c = Cipher.getInstance("ChaCha20-Poly1305");
            c.init(mode, key, new IvParameterSpec(nonce));
        } else {
            c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, key, new GCMParameterSpec(AEAD_ICV * 8, nonce));
        }
        return c;
    }

    /**
     * Seals {@code plain} (payloads, padding, pad length) into {@code msg} after the SK payload header that ends at
     * {@code aadEnd}: the IV, the ciphertext and the ICV fill the rest of {@code msg}.
     */
    void seal(byte[] msg, int aadEnd, byte[] plain) {
        byte[] iv = new byte[ivLength()];
        if (aead()) {
            long v = nextIv++;
            for (int i = 0; i < AEAD_IV; i++) {
                iv[i] = (byte) (v >>> (56 - 8 * i));
            }
        } else {
            random.nextBytes(iv); // CBC needs an unpredictable IV
        }
        System.arraycopy(iv, 0, msg, aadEnd, iv.length);
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, iv);
            if (aead()) {
                c.updateAAD(msg, 0, aadEnd);
            }
            int n = c.doFinal(plain, 0, plain.length, msg, aadEnd + iv.length);
            if (!aead()) {
                int end = aadEnd + iv.length + n;
                System.arraycopy(hmac(msg, 0, end, msg, 0, 0), 0, msg, end, icvLength);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing an SK payload failed", e);
        }
    }

    /**
     * Opens an SK payload body (IV, ciphertext, ICV) whose header ({@code headerLength} bytes: 4 for SK, 8 for SKF with
     * its fragment numbers, RFC 7383 section 2.5) starts at msg[off + headerOffset].
     */
    Optional<byte[]> open(byte[] msg, int off, int headerOffset, int headerLength, byte[] body) {
        int iv = ivLength();
        if (body.length < iv + icvLength + 1 || (!aead() && (body.length - iv - icvLength) % 16 != 0)) {
            return Optional.empty();
        }
        try {
            if (!aead()) {
                byte[] expected = hmac(msg, off, headerOffset + headerLength, body, 0, body.length - icvLength);
                if (!java.security.MessageDigest.isEqual(expected, Arrays.copyOfRange(body, body.length - icvLength, body.length))) {
                    return Optional.empty();
                }
                return Optional.of(cipher(Cipher.DECRYPT_MODE, Arrays.copyOf(body, iv)).doFinal(body, iv, body.length - iv - icvLength));
            }
            Cipher c = cipher(Cipher.DECRYPT_MODE, Arrays.copyOf(body, iv));
            c.updateAAD(msg, off, headerOffset + headerLength);
            return Optional.of(c.doFinal(body, iv, body.length - iv));
        } catch (AEADBadTagException e) {
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("opening an SK payload failed", e);
        }
    }
}
