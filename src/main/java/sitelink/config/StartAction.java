package sitelink.config;

import java.util.Locale;
import java.util.Optional;

/** When this side starts an IKEv2 remote site's SAs; swanctl.conf's {@code start_action}, with its words. */
public enum StartAction {
    /** Initiate when the gateway starts, and again after the SA is lost. */
    START,
    /** Initiate on the first packet from a local subnet to the remote ones (a "trap"), as WireGuard sites do. */
    TRAP,
    /** Never initiate: only answer the peer. */
    NONE;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<StartAction> of(String word) {
        for (StartAction a : values()) {
            if (a.word().equals(word.strip().toLowerCase(Locale.ROOT))) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
