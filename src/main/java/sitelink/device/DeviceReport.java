package sitelink.device;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import sitelink.crypto.Key;
import sitelink.route.AllowedIps;
import sitelink.tunnel.Drop;
import sitelink.tunnel.Remote;
import sitelink.tunnel.Tunnel;
import sitelink.wireguard.Peer;
import sitelink.wireguard.PeerStats;
import sitelink.wireguard.WireGuardCore;

/** The device's read side: its configuration ({@link DeviceSnapshot}) and its state ({@link DeviceStatus}). */
final class DeviceReport {
    private static final Drop[] DROPS = Drop.values();

    private DeviceReport() {
    }

    /** What UAPI {@code get} reports: keys, port, fwmark and each peer's configuration and transfer counters. */
    static DeviceSnapshot snapshot(WireGuardCore core, AllowedIps<Remote> allowedIps, int port, int fwmark) {
        List<PeerSnapshot> peers = new ArrayList<>();
        for (Peer p : core.peers()) {
            peers.add(new PeerSnapshot(p.publicKey(), p.presharedKey(), p.endpoint(), p.lastHandshake(),
                    p.rxBytes(), p.txBytes(), p.persistentKeepalive(), allowedIps.prefixesOf(p)));
        }
        return new DeviceSnapshot(core.privateKey(), port, fwmark, peers);
    }

    /** What status reads: per peer its handshake history, counters and drops (the core's and the device's). */
    static DeviceStatus status(String name, String siteName, Map<Key, String> peerNames, WireGuardCore core,
                               Tunnel[] tunnels, AllowedIps<Remote> allowedIps, DeviceCounters counters, int port,
                               Instant now, ControlChannel control) {
        List<PeerStatus> peers = new ArrayList<>();
        for (Peer p : core.peers()) {
            PeerStats st = p.stats();
            SortedMap<String, Long> drops = new TreeMap<>();
            for (Drop d : DROPS) {
                long n = counters.peerDrops(p, d);
                if (n != 0) {
                    drops.put(d.reasonName(), n);
                }
            }
            Optional<PeerStats.Failure> f = st.lastFailure();
            peers.add(new PeerStatus(p.publicKey(), peerNames.getOrDefault(p.publicKey(), ""), p.endpoint(),
                    p.lastHandshake(), p.hasSession(), st.sessionInitiator(), st.handshakeAttempts(), st.lastAttempt(),
                    st.firstUnansweredAttempt(), st.unconfirmedResponses(), st.firstUnconfirmedResponse(),
                    st.lastGaveUp(),
                    f.map(x -> x.reason().reasonName()), f.map(PeerStats.Failure::at),
                    f.map(PeerStats.Failure::from), p.rxBytes(), p.txBytes(), st.rxPackets(), st.txPackets(),
                    p.persistentKeepalive(), st.roamingEvents(), drops, allowedIps.prefixesOf(p),
                    control.describe(p.publicKey()), control.holdReason(p.publicKey())));
        }
        List<sitelink.ipsec.IpsecSiteStatus> ike = new ArrayList<>();
        for (Tunnel t : tunnels) {
            if (t instanceof sitelink.ipsec.IpsecTunnel ipsec) {
                ike.addAll(ipsec.status());
            }
        }
        return new DeviceStatus(name, siteName, core.publicKey(), port, now, counters.byName(tunnels), peers, ike);
    }
}
