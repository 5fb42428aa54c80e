package sitelink.config;

import java.util.List;
import java.util.Optional;
import sitelink.crypto.Key;
import sitelink.policy.Rule;
import sitelink.route.Prefix;

/**
 * Another site reached through the tunnel: the WireGuard peer that is its gateway. Its {@code remoteSubnets} are
 * both the routes into the tunnel and the traffic selectors (WireGuard's allowed IPs): a packet from this peer is
 * accepted only if its source address lies in them.
 *
 * @param persistentKeepalive seconds between keepalives, 0 when off (useful behind NAT: keeps the mapping open)
 * @param policy              allow rules (docs/policy.md); empty: only the traffic selectors apply
 * @param routeFrom           {@code route_from}: the local subnets whose traffic alone is routed to this site
 *                            (source-based routing, in a table of its own); empty: all traffic, in the main table
 * @param dscp                {@code dscp}: the outer header's DSCP, {@link sitelink.packet.OuterTos#COPY} (the inner
 *                            packet's, the default) or 0..63; ECN is copied outward either way (RFC 6040)
 * @param postQuantum         {@code post_quantum: on}: a post-quantum preshared key agreed with the peer's sitelink
 *                            inside the tunnel every two minutes, traffic held back without one (docs/post-quantum.md)
 */
public record RemoteSite(String name, Key publicKey, Optional<Key> presharedKey, Optional<Endpoint> endpoint,
                         List<Prefix> remoteSubnets, int persistentKeepalive, List<Rule> policy, List<Prefix> routeFrom,
                         int dscp, boolean postQuantum) {
    public RemoteSite {
        remoteSubnets = List.copyOf(remoteSubnets);
        policy = List.copyOf(policy);
        routeFrom = List.copyOf(routeFrom);
    }

    /** A remote site without the post-quantum preshared key. */
    public RemoteSite(String name, Key publicKey, Optional<Key> presharedKey, Optional<Endpoint> endpoint,
                      List<Prefix> remoteSubnets, int persistentKeepalive, List<Rule> policy, List<Prefix> routeFrom,
                      int dscp) {
        this(name, publicKey, presharedKey, endpoint, remoteSubnets, persistentKeepalive, policy, routeFrom, dscp, false);
    }

    /** A remote site routed for all traffic (no route_from), its DSCP copied outward. */
    public RemoteSite(String name, Key publicKey, Optional<Key> presharedKey, Optional<Endpoint> endpoint,
                      List<Prefix> remoteSubnets, int persistentKeepalive, List<Rule> policy) {
        this(name, publicKey, presharedKey, endpoint, remoteSubnets, persistentKeepalive, policy, List.of(),
                sitelink.packet.OuterTos.COPY);
    }

    /** A remote site without policy rules. */
    public RemoteSite(String name, Key publicKey, Optional<Key> presharedKey, Optional<Endpoint> endpoint,
                      List<Prefix> remoteSubnets, int persistentKeepalive) {
        this(name, publicKey, presharedKey, endpoint, remoteSubnets, persistentKeepalive, List.of());
    }
}
