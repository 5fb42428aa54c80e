package sitelink.control;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A change worth telling someone about: the tunnel to a remote site came up, went down, a rekey failed, or a
 * certificate it authenticates with is about to expire.
 * {@link #variables()} is what a hook script receives and what the syslog message's structured data carries.
 */
public record TunnelEvent(Kind kind, Instant at, String site, String iface, String peer, String publicKey,
                          String endpoint, TunnelState state, String reason) {

    public enum Kind {
        UP("up"), DOWN("down"), REKEY_FAILED("rekey-failed"),
        /** An IKEv2 site's certificate (ours or the peer's) comes within 30 days of expiring, or expired: once each. */
        CERTIFICATE_EXPIRING("certificate-expiring");

        public final String word;

        Kind(String word) {
            this.word = word;
        }
    }

    /** SITELINK_EVENT, SITELINK_SITE, ... in a stable order (docs/status.md). */
    public Map<String, String> variables() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("SITELINK_EVENT", kind.word);
        m.put("SITELINK_TIME", at.toString());
        m.put("SITELINK_SITE", site);
        m.put("SITELINK_INTERFACE", iface);
        m.put("SITELINK_PEER", peer);
        m.put("SITELINK_PUBLIC_KEY", publicKey);
        m.put("SITELINK_ENDPOINT", endpoint);
        m.put("SITELINK_STATE", state.name());
        m.put("SITELINK_REASON", reason);
        return m;
    }

    /** One sentence for logs and the syslog MSG part. */
    public String message() {
        String who = "tunnel " + site + " -> " + peer + (endpoint.isEmpty() ? "" : " (" + endpoint + ")");
        return switch (kind) {
            case UP -> who + " is up";
            case DOWN -> who + " is down: " + (reason.isEmpty() ? state.name() : reason);
            case REKEY_FAILED -> who + ": rekey failed: " + reason;
            case CERTIFICATE_EXPIRING -> who + ": " + reason;
        };
    }
}
