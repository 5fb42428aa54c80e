package sitelink.ipsec;

import sitelink.ike.IkeFailure;

/**
 * The IPsec troubleshooting checklist in words: for each way setting up an IKE SA or CHILD SA fails, which phase it is
 * (phase 1: IKE_SA_INIT, the proposals and the DH group; authentication: IKE_AUTH's PSK, certificates and identities;
 * phase 2: the CHILD SA's selectors) and what to change. The gateway's log line and {@code diagnose} say the same.
 */
public final class IkeAdvice {
    private IkeAdvice() {
    }

    /** The checklist phase a failure belongs to: "phase 1 (IKE_SA_INIT)", "authentication (IKE_AUTH)", ... */
    public static String phase(IkeFailure f) {
        return switch (f) {
            case NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD, INVALID_DH_VALUE -> "phase 1 (IKE_SA_INIT)";
            case AUTHENTICATION_FAILED, ID_MISMATCH, CERTIFICATE_REVOKED, CERTIFICATE_EXPIRED, CERTIFICATE_UNTRUSTED ->
                    "authentication (IKE_AUTH)";
            case TS_UNACCEPTABLE -> "phase 2 (CHILD SA)";
            case TIMEOUT -> "reachability";
            case PEER_ERROR -> "the peer";
            case LIFETIME_EXPIRED -> "rekey (CREATE_CHILD_SA)";
        };
    }

    /**
     * What to change for a failure of a site authenticating with certificates ({@code certificates}) or a pre-shared
     * key: one sentence, for the log and {@code diagnose}.
     */
    public static String remedy(IkeFailure f, boolean certificates) {
        if (certificates && f == IkeFailure.AUTHENTICATION_FAILED) {
            return "check that the peer trusts the CA of this site's certificate, that its CRL does not list it, and that "
                    + "it expects this site's ID (local_id, named by the certificate)";
        }
        return remedy(f);
    }

    /** What to change for a failure: one sentence, for the log and {@code diagnose}. */
    public static String remedy(IkeFailure f) {
        return switch (f) {
            case NO_PROPOSAL_CHOSEN -> "give both sides one proposal in common: this site's ike_proposals/esp_proposals "
                    + "and the peer's proposals/esp_proposals (strongSwan's syntax on both)";
            case INVALID_KE_PAYLOAD, INVALID_DH_VALUE -> "give both sides a DH group in common (modp2048, ecp256, ecp384, "
                    + "curve25519) in the proposals";
            case AUTHENTICATION_FAILED -> "put the same pre-shared key on both sides (this site's psk_file holds one line; "
                    + "a space or tab at either end, or a quoted value on the other side, is part of the key), or check "
                    + "the certificates";
            case ID_MISMATCH -> "set remote_id to the identity the peer sends (its local id), or set the peer's local id "
                    + "to this site's remote_id";
            case CERTIFICATE_REVOKED -> "issue the peer a new certificate (sitelink pki issue), or take it off the CRL";
            case CERTIFICATE_EXPIRED -> "renew the certificate (sitelink pki issue), and check both machines' clocks";
            case CERTIFICATE_UNTRUSTED -> "list the CA that signed the peer's certificate under ca, and make the peer send "
                    + "its certificate";
            case TS_UNACCEPTABLE -> "make the selectors mirror each other: this site's local_subnets are the peer's "
                    + "remote_ts, its remote_subnets the peer's local_ts";
            case TIMEOUT -> "check that the peer's IKE daemon runs and that UDP 500 and 4500 reach it both ways "
                    + "(firewalls, NAT)";
            case PEER_ERROR -> "read the peer's log for why it refused";
            case LIFETIME_EXPIRED -> "the warnings before this one say why each rekey failed (often a DH group in "
                    + "esp_proposals, for PFS, that the peer's esp_proposals lack): give both sides the same proposals "
                    + "for rekeys";
        };
    }

    /**
     * The failure named at the start of a status line ("AUTHENTICATION_FAILED: ..."), with its phase and remedy
     * appended; the line as it was when it names none.
     */
    public static String explain(String failure) {
        return explain(failure, false);
    }

    /** The same for a site that authenticates with certificates or not. */
    public static String explain(String failure, boolean certificates) {
        int colon = failure.indexOf(':');
        if (colon > 0) {
            try {
                IkeFailure f = IkeFailure.valueOf(failure.substring(0, colon));
                return phase(f) + ": " + failure + "; " + remedy(f, certificates);
            } catch (IllegalArgumentException e) {
                return failure;
            }
        }
        return failure;
    }
}
