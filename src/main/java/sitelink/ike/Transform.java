package sitelink.ike;

/**
 * One transform of a proposal (RFC 7296 section 3.3.2): its type (ENCR, PRF, INTEG, DH, ESN), its id, and the key
 * length attribute in bits (0 when absent, as for AEADs with a fixed key or for PRFs).
 */
public record Transform(int type, int id, int keyLength) {
    public static Transform of(int type, int id) {
        return new Transform(type, id, 0);
    }

    /** The name strongSwan uses for this transform in proposal strings. */
    public String name() {
        return switch (type) {
            case Ike.ENCR -> switch (id) {
                case Ike.ENCR_AES_GCM_16 -> "aes" + keyLength + "gcm16";
                case Ike.ENCR_AES_GCM_12 -> "aes" + keyLength + "gcm12";
                case Ike.ENCR_AES_GCM_8 -> "aes" + keyLength + "gcm8";
                case Ike.ENCR_AES_CBC -> "aes" + keyLength;
                case Ike.ENCR_CHACHA20_POLY1305 -> "chacha20poly1305";
                case Ike.ENCR_3DES -> "3des";
                case Ike.ENCR_DES -> "des";
                default -> "encr" + id;
            };
            case Ike.PRF -> switch (id) {
                case Ike.PRF_HMAC_SHA2_256 -> "prfsha256";
                case Ike.PRF_HMAC_SHA2_384 -> "prfsha384";
                case Ike.PRF_HMAC_SHA2_512 -> "prfsha512";
                case Ike.PRF_HMAC_SHA1 -> "prfsha1";
                case Ike.PRF_HMAC_MD5 -> "prfmd5";
                default -> "prf" + id;
            };
            case Ike.INTEG -> switch (id) {
                case Ike.AUTH_HMAC_SHA2_256_128 -> "sha256";
                case Ike.AUTH_HMAC_SHA2_384_192 -> "sha384";
                case Ike.AUTH_HMAC_SHA2_512_256 -> "sha512";
                case Ike.AUTH_HMAC_SHA1_96 -> "sha1";
                case Ike.AUTH_HMAC_MD5_96 -> "md5";
                default -> "integ" + id;
            };
            case Ike.DH -> keyExchangeName(id);
            case Ike.ESN -> id == 1 ? "esn" : "noesn";
            default -> Ike.additionalKe(type) ? "ke" + (type - Ike.ADDKE1 + 1) + "_" + keyExchangeName(id) : "transform" + type + "/" + id;
        };
    }

    /** A key exchange method's name, as strongSwan writes it (0 is RFC 9370's NONE). */
    static String keyExchangeName(int id) {
        return switch (id) {
            case Ike.MODP_2048 -> "modp2048";
            case Ike.ECP_256 -> "ecp256";
            case Ike.ECP_384 -> "ecp384";
            case Ike.CURVE25519 -> "curve25519";
            case Ike.MODP_1024 -> "modp1024";
            case Ike.MODP_1536 -> "modp1536";
            case Ike.ML_KEM_512 -> "mlkem512";
            case Ike.ML_KEM_768 -> "mlkem768";
            case Ike.ML_KEM_1024 -> "mlkem1024";
            case 0 -> "none";
            default -> "dh" + id;
        };
    }

    @Override
    public String toString() {
        return name();
    }
}
