package sitelink.device;

import sitelink.ipsec.IpsecSiteStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import sitelink.crypto.Key;

/**
 * What {@code sitelink status} and {@code diagnose} read from a running device (UAPI {@code get_status=1}).
 *
 * @param site      the site name a gateway runs, empty for a plain {@code sitelink device}
 * @param publicKey the device's public key (never the private one)
 * @param at        the device's wall-clock time when the status was taken
 * @param counters  the device-wide counters, as {@code get_counters=1}
 * @param peers     the WireGuard remote sites
 * @param ikeSites  the IKEv2 remote sites
 */
public record DeviceStatus(String interfaceName, String site, Optional<Key> publicKey, int listenPort, Instant at,
                           SortedMap<String, Long> counters, List<PeerStatus> peers, List<IpsecSiteStatus> ikeSites) {
    public DeviceStatus {
        counters = new TreeMap<>(counters);
        peers = List.copyOf(peers);
        ikeSites = List.copyOf(ikeSites);
    }

    /** A device with WireGuard sites only. */
    public DeviceStatus(String interfaceName, String site, Optional<Key> publicKey, int listenPort, Instant at,
                        SortedMap<String, Long> counters, List<PeerStatus> peers) {
        this(interfaceName, site, publicKey, listenPort, at, counters, peers, List.of());
    }
}
