package sitelink.device;

import sitelink.tunnel.Drop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import sitelink.crypto.Key;

/**
 * Something the device refused, for the diagnostic log: the reason (one {@link Drop}, such as
 * {@link Drop#MAC1_INVALID} or {@link Drop#SOURCE_NOT_ALLOWED}), the peer it belongs to if known, the outer source address of
 * the datagram, the inner source address of a decrypted packet, and for a handshake from an unknown key that public
 * key. Never payload bytes or secret keys.
 */
public record Diagnostic(Drop reason, Optional<Key> peer, Optional<InetSocketAddress> source,
                         Optional<InetAddress> innerSource, Optional<Key> claimedKey) {

    /** Receives diagnostics on the failure paths of the data-path threads: must be quick and must not block. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = d -> { };

        void diagnose(Diagnostic d);
    }
}
