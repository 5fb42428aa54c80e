package sitelink.config;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.device.DeviceUpdate;
import sitelink.device.PeerUpdate;
import sitelink.route.Prefix;

/**
 * One site's validated configuration: immutable, and only ever built by {@link SiteFile} after every check passed.
 * {@link #toString()} shows no key material ({@link Key#toString()} is redacted).
 *
 * @param listenPort UDP port; 0 lets the system pick one (a site that only dials out)
 * @param fwmark     firewall mark on the tunnel's UDP packets, 0 for none
 * @param remoteSites the remote sites that speak WireGuard (the default protocol)
 * @param ikeSites    the remote sites that speak IKEv2 ({@code protocol: ikev2}), in file order; the gateway does not
 *                    carry them yet
 */
public record SiteConfig(String name, Key privateKey, int listenPort, int fwmark, TunnelInterface tunnel,
                         List<Prefix> localSubnets, List<RemoteSite> remoteSites, Telemetry telemetry, List<IkeSite> ikeSites) {
    public SiteConfig {
        localSubnets = List.copyOf(localSubnets);
        remoteSites = List.copyOf(remoteSites);
        ikeSites = List.copyOf(ikeSites);
    }

    /** A site whose remote sites all speak WireGuard. */
    public SiteConfig(String name, Key privateKey, int listenPort, int fwmark, TunnelInterface tunnel,
                      List<Prefix> localSubnets, List<RemoteSite> remoteSites, Telemetry telemetry) {
        this(name, privateKey, listenPort, fwmark, tunnel, localSubnets, remoteSites, telemetry, List.of());
    }

    /** A site without metrics or events. */
    public SiteConfig(String name, Key privateKey, int listenPort, int fwmark, TunnelInterface tunnel,
                      List<Prefix> localSubnets, List<RemoteSite> remoteSites) {
        this(name, privateKey, listenPort, fwmark, tunnel, localSubnets, remoteSites, Telemetry.NONE);
    }

    public Key publicKey() {
        return X25519.publicKey(privateKey);
    }

    public Optional<RemoteSite> remoteSite(String siteName) {
        return remoteSites.stream().filter(r -> r.name().equals(siteName)).findFirst();
    }

    /** Every remote subnet, of the WireGuard sites and the IKEv2 sites, in file order: the routes into the tunnel. */
    public List<Prefix> allRemoteSubnets() {
        List<Prefix> all = new java.util.ArrayList<>();
        remoteSites.forEach(r -> all.addAll(r.remoteSubnets()));
        ikeSites.forEach(r -> all.addAll(r.remoteSubnets()));
        return all;
    }

    /**
     * The remote subnets routed for all traffic in the main table: those of every site without {@code route_from}.
     */
    public List<Prefix> mainRoutedSubnets() {
        List<Prefix> all = new java.util.ArrayList<>();
        remoteSites.stream().filter(r -> r.routeFrom().isEmpty()).forEach(r -> all.addAll(r.remoteSubnets()));
        ikeSites.stream().filter(r -> r.routeFrom().isEmpty()).forEach(r -> all.addAll(r.remoteSubnets()));
        return all;
    }

    /**
     * A remote site routed only for traffic from some local subnets ({@code route_from}): its remote subnets go in
     * a routing table of its own, which a policy rule per {@code from} subnet selects.
     */
    public record SourceRoute(String site, List<Prefix> from, List<Prefix> to) {
        public SourceRoute {
            from = List.copyOf(from);
            to = List.copyOf(to);
        }
    }

    /** The source-routed remote sites (WireGuard first, then IKEv2, each in file order). */
    public List<SourceRoute> sourceRoutes() {
        List<SourceRoute> out = new java.util.ArrayList<>();
        remoteSites.stream().filter(r -> !r.routeFrom().isEmpty())
                .forEach(r -> out.add(new SourceRoute(r.name(), r.routeFrom(), r.remoteSubnets())));
        ikeSites.stream().filter(r -> !r.routeFrom().isEmpty())
                .forEach(r -> out.add(new SourceRoute(r.name(), r.routeFrom(), r.remoteSubnets())));
        return out;
    }

    public Optional<IkeSite> ikeSite(String siteName) {
        return ikeSites.stream().filter(r -> r.name().equals(siteName)).findFirst();
    }

    /** The session configuration of an IKEv2 remote site, with this site's local subnets as its local selectors. */
    public sitelink.ike.IkeConfig ikeConfig(IkeSite site, InetSocketAddress local, InetSocketAddress remote) {
        return site.toIkeConfig(localSubnets, local, remote);
    }

    /**
     * The device state this file describes, as one update that replaces every peer: the single apply path that
     * {@code up}, {@code reload} and the UAPI share. A remote site missing from {@code resolvedEndpoints} (no
     * endpoint, or its name did not resolve yet) gets no endpoint: the device learns it from the site's first
     * authenticated packet, as WireGuard roaming does.
     */
    public DeviceUpdate toDeviceUpdate(Map<RemoteSite, InetSocketAddress> resolvedEndpoints) {
        List<PeerUpdate> peers = remoteSites.stream()
                .map(r -> new PeerUpdate(r.publicKey(), false, false, r.presharedKey(),
                        Optional.ofNullable(resolvedEndpoints.get(r)), OptionalInt.of(r.persistentKeepalive()),
                        true, r.remoteSubnets()))
                .toList();
        return new DeviceUpdate(Optional.of(privateKey), OptionalInt.of(listenPort), OptionalInt.of(fwmark), true, peers);
    }
}
