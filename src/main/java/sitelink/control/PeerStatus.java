package sitelink.control;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import sitelink.crypto.Key;

/**
 * One peer (remote site) as a running gateway reports it on its UAPI socket: who it is, where it was last seen,
 * when the last handshake completed and how many bytes went each way. Public data only: no key material but the
 * peer's public key.
 */
public record PeerStatus(Key publicKey, Optional<String> endpoint, Optional<Instant> lastHandshake, long rxBytes,
        long txBytes, int persistentKeepalive, List<String> allowedIps) {
    public PeerStatus {
        allowedIps = List.copyOf(allowedIps);
    }

    /** True once a handshake completed: the tunnel to this peer is established. */
    public boolean established() {
        return lastHandshake.isPresent();
    }
}
