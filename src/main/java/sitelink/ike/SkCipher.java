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
 * The AEAD of an SK payload in one direction: AES-GCM with a 16-byte ICV (RFC 5282) or ChaCha20-Poly1305 (RFC 7634).
 * Keying material is the key followed by a 4-byte salt; the nonce is salt || 8-byte explicit IV; the AAD is the IKE
 * header through the SK payload's generic header (RFC 5282 section 5.1). The explicit IV is a counter, so it never
 * repeats under one key.
 */
public final class SkCipher {
    public static final int IV_LENGTH = 8, ICV_LENGTH = 16, SALT_LENGTH = 4;

    private final int encr;
    private final SecretKeySpec key;
    private final byte[] salt;
    private long nextIv = 1;

    public SkCipher(int encr, byte[] keymat) {
        this.encr = encr;
        int keyLength = keymat.length - SALT_LENGTH;
        this.key = new SecretKeySpec(keymat, 0, keyLength, encr == Ike.ENCR_CHACHA20_POLY1305 ? "ChaCha20" : "AES");
        this.salt = Arrays.copyOfRange(keymat, keyLength, keymat.length);
    }

    /** Keying material length in bytes for an ENCR transform (key and salt). */
    public static int keymatLength(Transform encr) {
        return switch (encr.id()) {
            case Ike.ENCR_AES_GCM_16 -> encr.keyLength() / 8 + SALT_LENGTH;
            case Ike.ENCR_CHACHA20_POLY1305 -> 32 + SALT_LENGTH;
            default -> throw new IllegalArgumentException("not a supported AEAD: " + encr);
        };
    }

    private Cipher cipher(int mode, byte[] iv) throws GeneralSecurityException {
        byte[] nonce = new byte[SALT_LENGTH + IV_LENGTH];
        System.arraycopy(salt, 0, nonce, 0, SALT_LENGTH);
        System.arraycopy(iv, 0, nonce, SALT_LENGTH, IV_LENGTH);
        Cipher c;
        if (encr == Ike.ENCR_CHACHA20_POLY1305) {
            c = Cipher.getInstance("ChaCha20-Poly1305");
            c.init(mode, key, new IvParameterSpec(nonce));
        } else {
            c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, key, new GCMParameterSpec(ICV_LENGTH * 8, nonce));
        }
        return c;
    }

    /**
     * Seals {@code plain} into {@code msg} after the SK payload header that ends at {@code aadEnd}: the IV, the
     * ciphertext and the ICV fill the rest of {@code msg}; {@code msg[0, aadEnd)} is the AAD.
     */
    void seal(byte[] msg, int aadEnd, byte[] plain) {
        byte[] iv = new byte[IV_LENGTH];
        long v = nextIv++;
        for (int i = 0; i < IV_LENGTH; i++) {
            iv[i] = (byte) (v >>> (56 - 8 * i));
        }
        System.arraycopy(iv, 0, msg, aadEnd, IV_LENGTH);
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, iv);
            c.updateAAD(msg, 0, aadEnd);
            c.doFinal(plain, 0, plain.length, msg, aadEnd + IV_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing an SK payload failed", e);
        }
    }

    /** Opens an SK payload body (IV, ciphertext, ICV) whose generic header starts at msg[off + headerOffset]. */
    Optional<byte[]> open(byte[] msg, int off, int headerOffset, byte[] body) {
        if (body.length < IV_LENGTH + ICV_LENGTH) {
            return Optional.empty();
        }
        try {
            Cipher c = cipher(Cipher.DECRYPT_MODE, Arrays.copyOf(body, IV_LENGTH));
            c.updateAAD(msg, off, headerOffset + 4);
            return Optional.of(c.doFinal(body, IV_LENGTH, body.length - IV_LENGTH));
        } catch (AEADBadTagException e) {
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("opening an SK payload failed", e);
        }
    }
}
