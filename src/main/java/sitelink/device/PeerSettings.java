package sitelink.device;

import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.function.Consumer;
import sitelink.route.AllowedIps;
import sitelink.tunnel.Remote;
import sitelink.tunnel.Results;
import sitelink.wireguard.Peer;
import sitelink.wireguard.WireGuardCore;

/**
 * The peer half of a {@link DeviceUpdate}, as UAPI {@code set} and the site file say it: peers added, changed and
 * removed in the core, and their allowed IPs in the device's routing table. Called under the device's lock; what a
 * change sends (the keepalive of a persistent keepalive turned on) goes to {@code transmit}.
 */
final class PeerSettings {
    private static final System.Logger LOG = System.getLogger("sitelink.device");

    private final WireGuardCore core;
    private final AllowedIps<Remote> allowedIps;
    private final DeviceCounters counters;
    private final Consumer<Results> transmit;
    /** False for the start-up warm-up's devices: their peers come and go unlogged. */
    volatile boolean announce = true;

    PeerSettings(WireGuardCore core, AllowedIps<Remote> allowedIps, DeviceCounters counters, Consumer<Results> transmit) {
        this.core = core;
        this.allowedIps = allowedIps;
        this.counters = counters;
        this.transmit = transmit;
    }

    /** Applies the update's peers (after removing every peer first if it replaces them); cannot fail. */
    void apply(DeviceUpdate u) {
        if (u.replacePeers()) {
            removeAll();
        }
        for (PeerUpdate pu : u.peers()) {
            apply(pu);
        }
    }

    private void apply(PeerUpdate pu) {
        Optional<Peer> existing = core.peer(pu.publicKey());
        if (pu.remove()) {
            existing.ifPresent(this::remove);
            return;
        }
        if (existing.isEmpty() && pu.updateOnly()) {
            return;
        }
        Optional<Peer> maybe = existing.isPresent() ? existing : core.addPeer(pu.publicKey());
        if (maybe.isEmpty()) {
            return; // our own public key: ignored, as wireguard-go does
        }
        Peer p = maybe.get();
        if (existing.isEmpty() && announce) {
            LOG.log(Level.INFO, "{0} - Created", p);
        }
        pu.presharedKey().ifPresent(k -> core.setPresharedKey(p, k));
        pu.endpoint().ifPresent(e -> core.setEndpoint(p, e));
        if (pu.replaceAllowedIps()) {
            allowedIps.removeAll(p);
        }
        pu.allowedIps().forEach(prefix -> allowedIps.insert(prefix, p));
        pu.persistentKeepalive().ifPresent(s -> {
            Results keepalive = new Results(0);
            core.setPersistentKeepalive(p, s, keepalive);
            transmit.accept(keepalive);
        });
    }

    /** Removes every peer: its routes, its counters, its sessions (keys zeroed). */
    void removeAll() {
        for (Peer p : core.peers()) {
            remove(p);
        }
    }

    private void remove(Peer p) {
        allowedIps.removeAll(p);
        counters.forget(p);
        core.removePeer(p.publicKey());
        if (announce) {
            LOG.log(Level.INFO, "{0} - Removed", p);
        }
    }
}
