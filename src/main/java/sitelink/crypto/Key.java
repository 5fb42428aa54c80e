package sitelink.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A 32-byte key (Curve25519 private or public key, or a preshared key). Immutable; compares in constant time;
 * {@link #toString()} never prints the key material, so a key can be logged by accident without leaking.
 */
public final class Key {
    public static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();
    private final byte[] bytes;

    private Key(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Copies {@code bytes}, which must be 32 long. */
    public static Key of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a key is 32 bytes, not " + bytes.length);
        }
        return new Key(bytes.clone());
    }

    /** The all-zero key: wg's way of saying "no key". */
    public static Key zero() {
        return new Key(new byte[LENGTH]);
    }

    /** Parses the base64 form that wg genkey prints (44 characters ending in '='). */
    public static Key fromBase64(String text) {
        String t = text.strip();
        if (t.length() != 44 || t.charAt(43) != '=') {
            throw new IllegalArgumentException("a key is 44 base64 characters ending in '=', got " + t.length() + " characters");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a key must be base64: " + e.getMessage());
        }
        return of(raw);
    }

    /** Parses the lowercase-hex form used by the WireGuard userspace API (64 hex digits). */
    public static Key fromHex(String text) {
        if (text.length() != 2 * LENGTH) {
            throw new IllegalArgumentException("a key is 64 hex digits, got " + text.length());
        }
        return of(HEX.parseHex(text));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    public String toHex() {
        return HEX.formatHex(bytes);
    }

    public boolean isZero() {
        int acc = 0;
        for (byte b : bytes) {
            acc |= b;
        }
        return acc == 0;
    }

    /** Overwrites this key's copy of the material; used when a key is dropped. */
    public void destroy() {
        Arrays.fill(bytes, (byte) 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Key k && MessageDigest.isEqual(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "Key[redacted]";
    }
}
