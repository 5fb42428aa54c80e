package sitelink.device;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import sitelink.crypto.Key;

/**
 * A validated change to a device, applied as one step by {@link DeviceControl#apply}: the UAPI "set" operation,
 * and later the site file, both become one of these. Empty optionals mean "leave unchanged".
 *
 * @param privateKey  new private key; {@link Key#zero()} removes it
 * @param listenPort  new UDP port; 0 picks a free one
 * @param fwmark      new fwmark; 0 clears it
 * @param replacePeers remove every existing peer first (as wireguard-go does: their sessions end)
 */
public record DeviceUpdate(Optional<Key> privateKey, OptionalInt listenPort, OptionalInt fwmark,
                           boolean replacePeers, List<PeerUpdate> peers) {
    public DeviceUpdate {
        peers = List.copyOf(peers);
    }
}
