package sitelink.uapi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import sitelink.crypto.Key;
import sitelink.device.DeviceControl;
import sitelink.device.DeviceException;
import sitelink.device.DeviceSnapshot;
import sitelink.device.DeviceUpdate;
import sitelink.device.PeerSnapshot;
import sitelink.device.PeerUpdate;
import sitelink.route.Prefix;

/**
 * A DeviceControl that records every update and keeps a naive model of the state, enough for wg to read back
 * what it set. {@link #failWith} makes the next apply refuse with an errno.
 */
final class FakeDevice implements DeviceControl {
    final List<DeviceUpdate> applied = Collections.synchronizedList(new ArrayList<>());
    volatile DeviceSnapshot state = new DeviceSnapshot(Optional.empty(), 0, 0, List.of());
    volatile int failWith;
    final SortedMap<String, Long> counters = new TreeMap<>();
    final List<Key> handshakesAsked = Collections.synchronizedList(new ArrayList<>());

    /** Known peers start a handshake (recorded); others are refused with -ENOENT, as by the real device. */
    @Override
    public void initiateHandshake(Key publicKey) throws DeviceException {
        if (snapshot().peers().stream().noneMatch(p -> p.publicKey().equals(publicKey))) {
            throw new DeviceException(-2, "no such peer");
        }
        handshakesAsked.add(publicKey);
    }

    @Override
    public synchronized DeviceSnapshot snapshot() {
        return state;
    }

    @Override
    public synchronized void apply(DeviceUpdate u) throws DeviceException {
        if (failWith != 0) {
            int e = failWith;
            failWith = 0;
            throw new DeviceException(e, "refused by test");
        }
        applied.add(u);
        Optional<Key> priv = u.privateKey().isPresent()
                ? u.privateKey().filter(k -> !k.isZero()) : state.privateKey();
        int port = u.listenPort().orElse(state.listenPort());
        int mark = u.fwmark().orElse(state.fwmark());
        List<PeerSnapshot> peers = new ArrayList<>(u.replacePeers() ? List.of() : state.peers());
        for (PeerUpdate p : u.peers()) {
            int i = indexOf(peers, p.publicKey());
            if (p.remove()) {
                if (i >= 0) {
                    peers.remove(i);
                }
                continue;
            }
            if (i < 0 && p.updateOnly()) {
                continue;
            }
            PeerSnapshot old = i >= 0 ? peers.get(i)
                    : new PeerSnapshot(p.publicKey(), Optional.empty(), Optional.empty(), Optional.empty(), 0, 0, 0, List.of());
            List<Prefix> ips = new ArrayList<>(p.replaceAllowedIps() ? List.of() : old.allowedIps());
            for (Prefix x : p.allowedIps()) {
                if (!ips.contains(x)) {
                    ips.add(x);
                }
            }
            Optional<Key> psk = p.presharedKey().isPresent()
                    ? p.presharedKey().filter(k -> !k.isZero()) : old.presharedKey();
            PeerSnapshot now = new PeerSnapshot(p.publicKey(), psk, p.endpoint().or(old::endpoint), old.lastHandshake(),
                    old.rxBytes(), old.txBytes(), p.persistentKeepalive().orElse(old.persistentKeepalive()), ips);
            if (i >= 0) {
                peers.set(i, now);
            } else {
                peers.add(now);
            }
        }
        state = new DeviceSnapshot(priv, port, mark, peers);
    }

    private static int indexOf(List<PeerSnapshot> peers, Key k) {
        for (int i = 0; i < peers.size(); i++) {
            if (peers.get(i).publicKey().equals(k)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public SortedMap<String, Long> counters() {
        return new TreeMap<>(counters);
    }
}
