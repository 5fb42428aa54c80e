package sitelink.device;

import java.util.List;
import java.util.Optional;
import sitelink.crypto.Key;

/** What UAPI "get" (and later status) reports about a device at one instant. */
public record DeviceSnapshot(Optional<Key> privateKey, int listenPort, int fwmark, List<PeerSnapshot> peers) {
    public DeviceSnapshot {
        peers = List.copyOf(peers);
    }
}
