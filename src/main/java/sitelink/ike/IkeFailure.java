package sitelink.ike;

/** Why an IKE SA or CHILD SA could not be set up: what status and diagnose name. */
public enum IkeFailure {
    NO_PROPOSAL_CHOSEN,
    INVALID_KE_PAYLOAD,
    AUTHENTICATION_FAILED,
    ID_MISMATCH,
    TS_UNACCEPTABLE,
    INVALID_DH_VALUE,
    PEER_ERROR,
    TIMEOUT
}
