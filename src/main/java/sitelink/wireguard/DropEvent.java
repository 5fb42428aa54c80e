package sitelink.wireguard;

import sitelink.tunnel.Drop;
import java.net.InetSocketAddress;
import java.util.Optional;
import sitelink.crypto.Key;

/**
 * A datagram the core refused, for diagnostics: why, where it came from, the peer it belongs to (known from the
 * session, or attributed because it came from that peer's endpoint address), and for an initiation from a key we do
 * not know, that public key (public keys are not secret; it tells the operator which key the other side uses).
 */
public record DropEvent(Drop reason, InetSocketAddress source, Optional<Peer> peer, Optional<Key> claimedKey) {

    /** Receives drop events. Called on the failure paths of the data-path threads only: must be quick, must not block. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = e -> { };

        void dropped(DropEvent event);
    }
}
