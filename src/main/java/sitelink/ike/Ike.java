package sitelink.ike;

/** Numbers from the IANA IKEv2 registries (RFC 7296 section 3 and its updates), named as the RFCs name them. */
public final class Ike {
    private Ike() {
    }

    public static final int IKE_PORT = 500;
    public static final int NAT_T_PORT = 4500;
    public static final int HEADER_LENGTH = 28;
    public static final int VERSION = 0x20;

    // Exchange types (section 3.1)
    public static final int IKE_SA_INIT = 34, IKE_AUTH = 35, CREATE_CHILD_SA = 36, INFORMATIONAL = 37;
    /** RFC 9242 (IKE_INTERMEDIATE) and RFC 9370 (IKE_FOLLOWUP_KE): the exchanges that carry additional key exchanges. */
    public static final int IKE_INTERMEDIATE = 43, IKE_FOLLOWUP_KE = 44;

    // Header flags
    public static final int FLAG_INITIATOR = 0x08, FLAG_VERSION = 0x10, FLAG_RESPONSE = 0x20;

    // Payload types (section 3.2); NONE ends a chain
    public static final int NONE = 0, SA = 33, KE = 34, IDI = 35, IDR = 36, CERT = 37, CERTREQ = 38, AUTH = 39,
            NONCE = 40, NOTIFY = 41, DELETE = 42, VENDOR_ID = 43, TSI = 44, TSR = 45, SK = 46, CP = 47, EAP = 48,
            SKF = 53;

    // Protocol IDs (section 3.3.1)
    public static final int PROTO_IKE = 1, PROTO_AH = 2, PROTO_ESP = 3;

    // Transform types (section 3.3.2)
    public static final int ENCR = 1, PRF = 2, INTEG = 3, DH = 4, ESN = 5;
    /** RFC 9370: Additional Key Exchange 1..7, whose ids are key exchange methods as for {@link #DH}. */
    public static final int ADDKE1 = 6, ADDKE7 = 12;

    /** Whether a transform type is one of RFC 9370's additional key exchanges. */
    public static boolean additionalKe(int type) {
        return type >= ADDKE1 && type <= ADDKE7;
    }

    // ENCR ids
    public static final int ENCR_3DES = 3, ENCR_DES = 2, ENCR_AES_CBC = 12, ENCR_AES_GCM_8 = 18, ENCR_AES_GCM_12 = 19,
            ENCR_AES_GCM_16 = 20, ENCR_CHACHA20_POLY1305 = 28;
    // PRF ids
    public static final int PRF_HMAC_MD5 = 1, PRF_HMAC_SHA1 = 2, PRF_HMAC_SHA2_256 = 5, PRF_HMAC_SHA2_384 = 6,
            PRF_HMAC_SHA2_512 = 7;
    // INTEG ids
    public static final int AUTH_HMAC_MD5_96 = 1, AUTH_HMAC_SHA1_96 = 2, AUTH_HMAC_SHA2_256_128 = 12,
            AUTH_HMAC_SHA2_384_192 = 13, AUTH_HMAC_SHA2_512_256 = 14;
    // DH groups
    public static final int MODP_1024 = 2, MODP_1536 = 5, MODP_2048 = 14, ECP_256 = 19, ECP_384 = 20, CURVE25519 = 31;
    /** ML-KEM (FIPS 203) as key exchange methods (IANA, draft-ietf-ipsecme-ikev2-mlkem): for additional key exchanges. */
    public static final int ML_KEM_512 = 35, ML_KEM_768 = 36, ML_KEM_1024 = 37;
    // Transform attribute: Key Length (TV format)
    public static final int ATTR_KEY_LENGTH = 14;

    // ID types (section 3.5)
    public static final int ID_IPV4_ADDR = 1, ID_FQDN = 2, ID_RFC822_ADDR = 3, ID_IPV6_ADDR = 5, ID_DER_ASN1_DN = 9,
            ID_KEY_ID = 11;

    // AUTH methods (section 3.8; RFC 4754 for ECDSA; RFC 7427 for Digital Signature)
    public static final int AUTH_RSA_DIGITAL_SIGNATURE = 1, AUTH_SHARED_KEY_MIC = 2, AUTH_ECDSA_SHA256_P256 = 9,
            AUTH_ECDSA_SHA384_P384 = 10, AUTH_ECDSA_SHA512_P521 = 11, AUTH_DIGITAL_SIGNATURE = 14;

    // Certificate encodings (section 3.6)
    public static final int CERT_X509_SIGNATURE = 4;

    // Hash algorithms of SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 4; Identity from RFC 8420)
    public static final int HASH_SHA1 = 1, HASH_SHA2_256 = 2, HASH_SHA2_384 = 3, HASH_SHA2_512 = 4, HASH_IDENTITY = 5;

    // Traffic selector types (section 3.13.1)
    public static final int TS_IPV4_ADDR_RANGE = 7, TS_IPV6_ADDR_RANGE = 8;

    // Notify message types (section 3.10.1): errors below 16384, status from 16384
    public static final int UNSUPPORTED_CRITICAL_PAYLOAD = 1, INVALID_IKE_SPI = 4, INVALID_MAJOR_VERSION = 5,
            INVALID_SYNTAX = 7, INVALID_MESSAGE_ID = 9, INVALID_SPI = 11, NO_PROPOSAL_CHOSEN = 14,
            INVALID_KE_PAYLOAD = 17, AUTHENTICATION_FAILED = 24, SINGLE_PAIR_REQUIRED = 34, NO_ADDITIONAL_SAS = 35,
            INTERNAL_ADDRESS_FAILURE = 36, FAILED_CP_REQUIRED = 37, TS_UNACCEPTABLE = 38, INVALID_SELECTORS = 39,
            TEMPORARY_FAILURE = 43, CHILD_SA_NOT_FOUND = 44;
    public static final int INITIAL_CONTACT = 16384, SET_WINDOW_SIZE = 16385, ADDITIONAL_TS_POSSIBLE = 16386,
            NAT_DETECTION_SOURCE_IP = 16388, NAT_DETECTION_DESTINATION_IP = 16389, COOKIE = 16390,
            USE_TRANSPORT_MODE = 16391, REKEY_SA = 16393, ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
            NON_FIRST_FRAGMENTS_ALSO = 16395, MOBIKE_SUPPORTED = 16396, IKEV2_FRAGMENTATION_SUPPORTED = 16430,
            SIGNATURE_HASH_ALGORITHMS = 16431, INTERMEDIATE_EXCHANGE_SUPPORTED = 16438, ADDITIONAL_KEY_EXCHANGE = 16441;

    /** Payload type names as strongSwan logs them, for log lines such as {@code [ SA KE No N(NATD_S_IP) ]}. */
    public static String payloadName(int type) {
        return switch (type) {
            case SA -> "SA";
            case KE -> "KE";
            case IDI -> "IDi";
            case IDR -> "IDr";
            case CERT -> "CERT";
            case CERTREQ -> "CERTREQ";
            case AUTH -> "AUTH";
            case NONCE -> "No";
            case NOTIFY -> "N";
            case DELETE -> "D";
            case VENDOR_ID -> "V";
            case TSI -> "TSi";
            case TSR -> "TSr";
            case SK -> "SK";
            case CP -> "CP";
            case EAP -> "EAP";
            case SKF -> "SKF";
            default -> "UNKNOWN(" + type + ")";
        };
    }

    public static String exchangeName(int type) {
        return switch (type) {
            case IKE_SA_INIT -> "IKE_SA_INIT";
            case IKE_AUTH -> "IKE_AUTH";
            case CREATE_CHILD_SA -> "CREATE_CHILD_SA";
            case INFORMATIONAL -> "INFORMATIONAL";
            case IKE_INTERMEDIATE -> "IKE_INTERMEDIATE";
            case IKE_FOLLOWUP_KE -> "IKE_FOLLOWUP_KE";
            default -> "EXCHANGE(" + type + ")";
        };
    }
}
