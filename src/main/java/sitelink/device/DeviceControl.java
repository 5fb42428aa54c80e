package sitelink.device;

import java.time.Instant;
import java.util.Optional;
import sitelink.crypto.Key;

/**
 * The one way to read and change a running device. The UAPI server and (later) the site-file loader talk to the
 * device only through this interface.
 */
public interface DeviceControl {
    DeviceSnapshot snapshot();

    /**
     * Applies the whole update or, if it fails, none of it.
     *
     * @throws DeviceException with the errno that UAPI reports (for example -EADDRINUSE when the port is taken)
     */
    void apply(DeviceUpdate update) throws DeviceException;

    /**
     * The device's counters by name, for example {@code drop_replay} or {@code rx_datagrams}: every dropped packet
     * is counted under a reason. Served over the UAPI socket as sitelink's own {@code get_counters=1} request.
     */
    java.util.SortedMap<String, Long> counters();

    /**
     * Starts a handshake with the peer {@code publicKey} now if it has no session, as a packet waiting for it would,
     * without one: sitelink's own {@code initiate_handshake=1}, which {@code sitelink diagnose} uses on an idle
     * tunnel. No user traffic is made, so no policy filters it and no drop is counted.
     *
     * @throws DeviceException -ENOENT for a peer the device does not have, -EDESTADDRREQ for one without an endpoint
     */
    default void initiateHandshake(Key publicKey) throws DeviceException {
        throw new DeviceException(-95, "this device cannot start a handshake on request"); // EOPNOTSUPP
    }

    /**
     * Everything status needs: per peer its handshake history, counters and drops. Served as sitelink's own
     * {@code get_status=1}. The default derives what a snapshot knows (for devices that keep no more).
     */
    default DeviceStatus status() {
        DeviceSnapshot s = snapshot();
        return new DeviceStatus("", "", Optional.empty(), s.listenPort(), Instant.now(), counters(),
                s.peers().stream().map(p -> {
                    PeerStatus.Builder b = new PeerStatus.Builder(p.publicKey());
                    b.endpoint = p.endpoint();
                    b.lastHandshake = p.lastHandshake();
                    b.rxBytes = p.rxBytes();
                    b.txBytes = p.txBytes();
                    b.persistentKeepalive = p.persistentKeepalive();
                    b.allowedIps.addAll(p.allowedIps());
                    return b.build();
                }).toList());
    }
}
