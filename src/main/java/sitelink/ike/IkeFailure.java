package sitelink.ike;

/** Why an IKE SA or CHILD SA could not be set up: what status and diagnose name. */
public enum IkeFailure {
    NO_PROPOSAL_CHOSEN,
    INVALID_KE_PAYLOAD,
    AUTHENTICATION_FAILED,
    /** The peer's ID is not the one this site expects, or not one its certificate names. */
    ID_MISMATCH,
    /** The peer's certificate (or one above it) is listed in a configured CRL. */
    CERTIFICATE_REVOKED,
    /** The peer's certificate (or one above it) expired, or is not valid yet, at the session clock's time. */
    CERTIFICATE_EXPIRED,
    /** The peer's certificate is missing, unreadable, from an unknown CA or wrongly signed. */
    CERTIFICATE_UNTRUSTED,
    TS_UNACCEPTABLE,
    INVALID_DH_VALUE,
    PEER_ERROR,
    TIMEOUT,
    /**
     * An IKE SA or CHILD SA reached its hard lifetime (110 % of its lifetime, strongSwan's default) because every
     * rekey failed: its keys carry nothing more, and the IKE SA is deleted and set up anew.
     */
    LIFETIME_EXPIRED
}
