package sitelink.device;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import sitelink.crypto.Key;
import sitelink.route.Prefix;

/**
 * One peer as UAPI "get" reports it.
 *
 * @param lastHandshake wall-clock time of the latest completed handshake, empty if none
 */
public record PeerSnapshot(Key publicKey, Optional<Key> presharedKey, Optional<InetSocketAddress> endpoint,
                           Optional<Instant> lastHandshake, long rxBytes, long txBytes,
                           int persistentKeepalive, List<Prefix> allowedIps) {
    public PeerSnapshot {
        allowedIps = List.copyOf(allowedIps);
    }
}
