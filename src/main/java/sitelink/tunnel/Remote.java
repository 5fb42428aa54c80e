package sitelink.tunnel;

import java.net.InetSocketAddress;
import java.util.Optional;
import sitelink.crypto.Key;

/**
 * A remote site as its tunnel protocol holds it: what routing chooses for a packet, what a {@link Tunnel} seals for
 * and names as the sender of what it opens, and what the filter, the counters and diagnostics are keyed by.
 * WireGuard's is a peer; an ESP site's will be its CHILD SAs under one IKE SA.
 */
public interface Remote {
    /** The site's identity, as the site policy and status key it (WireGuard: the peer's public key). */
    Key id();

    /** Where its datagrams go now, if known (diagnostics). */
    Optional<InetSocketAddress> endpoint();

    /**
     * Which of the device's tunnels carries the site: its index in the order the tunnels were added, 0 being the
     * first (WireGuard's, which every device has).
     */
    default int tunnel() {
        return 0;
    }
}
