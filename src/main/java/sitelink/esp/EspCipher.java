package sitelink.esp;

/**
 * The ESP transforms we carry: AEADs, AES-GCM with a 16-byte ICV (RFC 4106) and ChaCha20-Poly1305 (RFC 7634), and
 * AES-CBC (RFC 3602) with HMAC-SHA2 truncated to half its length (RFC 4868).
 */
public enum EspCipher {
    AES_GCM_16("AES/GCM/NoPadding", "AES", null, 0),
    CHACHA20_POLY1305("ChaCha20-Poly1305", "ChaCha20", null, 0),
    AES_CBC_HMAC_SHA2_256_128("AES/CBC/NoPadding", "AES", "HmacSHA256", 32),
    AES_CBC_HMAC_SHA2_384_192("AES/CBC/NoPadding", "AES", "HmacSHA384", 48),
    AES_CBC_HMAC_SHA2_512_256("AES/CBC/NoPadding", "AES", "HmacSHA512", 64);

    final String transformation, keyAlgorithm, mac;
    /** The integrity key's length in bytes (0 for an AEAD); the ICV is half of it. */
    final int integKeyLength;

    EspCipher(String transformation, String keyAlgorithm, String mac, int integKeyLength) {
        this.transformation = transformation;
        this.keyAlgorithm = keyAlgorithm;
        this.mac = mac;
        this.integKeyLength = integKeyLength;
    }

    public boolean isAead() {
        return mac == null;
    }

    /** The cipher for IANA ENCR and INTEG transform ids (INTEG 0 for an AEAD), as IKE negotiated them. */
    public static EspCipher of(int encrId, int integId) {
        return switch (encrId) {
            case 20 -> AES_GCM_16;
            case 28 -> CHACHA20_POLY1305;
            case 12 -> switch (integId) {
                case 12 -> AES_CBC_HMAC_SHA2_256_128;
                case 13 -> AES_CBC_HMAC_SHA2_384_192;
                case 14 -> AES_CBC_HMAC_SHA2_512_256;
                default -> throw new IllegalArgumentException("unsupported ESP integrity algorithm " + integId);
            };
            default -> throw new IllegalArgumentException("unsupported ESP encryption algorithm " + encrId);
        };
    }
}
