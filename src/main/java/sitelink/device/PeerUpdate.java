package sitelink.device;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import sitelink.crypto.Key;
import sitelink.route.Prefix;

/**
 * A change to one peer, named by its public key (UAPI semantics).
 *
 * @param remove              remove the peer (other fields ignored)
 * @param updateOnly          change the peer only if it exists; never create it
 * @param presharedKey        new preshared key; {@link Key#zero()} removes it
 * @param endpoint            new endpoint (already resolved)
 * @param persistentKeepalive seconds, 0 turns it off
 * @param replaceAllowedIps   drop the peer's allowed IPs before adding {@code allowedIps}
 * @param allowedIps          prefixes to add to the peer's allowed IPs
 */
public record PeerUpdate(Key publicKey, boolean remove, boolean updateOnly, Optional<Key> presharedKey,
                         Optional<InetSocketAddress> endpoint, OptionalInt persistentKeepalive,
                         boolean replaceAllowedIps, List<Prefix> allowedIps) {
    public PeerUpdate {
        allowedIps = List.copyOf(allowedIps);
    }
}
