package sitelink.gateway;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import sitelink.config.IkeAuth;
import sitelink.config.IkeSite;
import sitelink.config.SiteConfig;
import sitelink.config.StartAction;
import sitelink.device.Device;
import sitelink.ipsec.IpsecSite;
import sitelink.ipsec.IpsecTunnel;
import sitelink.ipsec.SiteCertificates;
import sitelink.pki.PemFiles;
import sitelink.tunnel.Clock;
import sitelink.tunnel.Environment;

/** The IKEv2 sites of a site file as a tunnel of the gateway's device: UDP 500 and 4500, and their routes. */
final class IkeSites {
    private static final System.Logger LOG = System.getLogger("sitelink.gateway");

    private IkeSites() {
    }

    /** Adds the IKEv2/ESP tunnel with every IKEv2 site of {@code config} to {@code device}, before it starts. */
    static IpsecTunnel attach(Device device, SiteConfig config) throws GatewayException {
        List<IpsecSite.Settings> settings = new ArrayList<>();
        for (IkeSite site : config.ikeSites()) {
            IpsecSite.Settings s = settings(site, config);
            s.unresolved().ifPresent(why -> LOG.log(System.Logger.Level.WARNING, "{0}: {1}; the site stays DOWN and the "
                    + "name is tried again every 15 s", site.name(), why));
            settings.add(s);
        }
        IpsecTunnel tunnel = new IpsecTunnel(settings, device.nextTunnelIndex(), Environment.of(Clock.SYSTEM,
                new SecureRandom()), IkeSites::sourceFor);
        try {
            device.addTunnel(tunnel, IpsecTunnel.PORTS);
        } catch (IOException e) {
            throw new GatewayException("IKEv2 sites need UDP ports 500 and 4500: " + e.getMessage()
                    + "; is another IKE daemon (strongSwan's charon, libreswan's pluto) running on this host?");
        }
        for (int i = 0; i < tunnel.sites().size(); i++) {
            device.route(tunnel.sites().get(i), config.ikeSites().get(i).remoteSubnets());
        }
        return tunnel;
    }

    /**
     * What the tunnel needs of one IKEv2 site of {@code config}: its endpoint looked up (a name that does not resolve
     * leaves the site without an address, saying why: the gateway looks it up again), its start action, its session
     * configuration and certificates.
     */
    static IpsecSite.Settings settings(IkeSite site, SiteConfig config) {
        Optional<InetSocketAddress> endpoint = Optional.empty();
        Optional<String> unresolved = Optional.empty();
        if (site.endpoint().isPresent()) {
            try {
                endpoint = Optional.of(site.endpoint().get().resolve());
            } catch (UnknownHostException e) {
                unresolved = Optional.of("endpoint " + site.endpoint().get() + " does not resolve (" + e.getMessage()
                        + "); check the name and this host's DNS");
            }
        }
        Optional<SiteCertificates> certificates = site.auth() instanceof IkeAuth.Cert c
                ? Optional.of(new SiteCertificates(site.name(), c.certificates(), c.crlFiles(), f -> PemFiles.read(f).crls(),
                Clock.SYSTEM)) : Optional.empty();
        return new IpsecSite.Settings(site.name(), endpoint, site.startAction() == StartAction.START,
                site.startAction() == StartAction.TRAP, (local, remote) -> site.toIkeConfig(config.localSubnets(), local,
                remote, certificates.map(SiteCertificates::current)), certificates, unresolved,
                site.auth() instanceof IkeAuth.Psk p ? Optional.of(p.file()) : Optional.empty());
    }

    /**
     * How a reload changes the IKEv2 sites, by name: a site whose entry changed, or every site when the local subnets
     * (their traffic selectors) changed, is both removed and added, so that a new IKE SA negotiates what the file
     * now says; the others keep their IKE and CHILD SAs.
     */
    record Changes(List<String> removed, List<IkeSite> added, List<String> changed, List<String> unchanged) {
        static Changes between(SiteConfig old, SiteConfig next) {
            boolean selectors = !old.localSubnets().equals(next.localSubnets());
            List<String> removed = new ArrayList<>(), changed = new ArrayList<>(), unchanged = new ArrayList<>();
            List<IkeSite> added = new ArrayList<>();
            for (IkeSite was : old.ikeSites()) {
                Optional<IkeSite> now = next.ikeSite(was.name());
                if (now.isEmpty()) {
                    removed.add(was.name());
                } else if (selectors || !now.get().equals(was)) {
                    removed.add(was.name());
                    added.add(now.get());
                    changed.add(was.name());
                } else {
                    unchanged.add(was.name());
                }
            }
            next.ikeSites().stream().filter(s -> old.ikeSite(s.name()).isEmpty()).forEach(added::add);
            return new Changes(removed, added, changed, unchanged);
        }

        boolean any() {
            return !removed.isEmpty() || !added.isEmpty();
        }

        /** "added office-d; removed none; changed office-c; unchanged office-e". */
        @Override
        public String toString() {
            List<String> fresh = added.stream().map(IkeSite::name).filter(n -> !changed.contains(n)).toList();
            List<String> gone = removed.stream().filter(n -> !changed.contains(n)).toList();
            return "added " + names(fresh) + "; removed " + names(gone) + "; changed " + names(changed) + "; unchanged "
                    + names(unchanged);
        }

        private static String names(List<String> n) {
            return n.isEmpty() ? "none" : String.join(", ", n);
        }
    }

    /**
     * The local address the kernel picks towards {@code peer}: a connected UDP socket's, which sends nothing. That is
     * our IKE address (NAT detection, the default local_id).
     */
    static InetAddress sourceFor(InetAddress peer) {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(new InetSocketAddress(peer, 9));
            return ((InetSocketAddress) ch.getLocalAddress()).getAddress();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "no route to IKE peer {0}: {1}", peer, e.getMessage());
            return peer instanceof java.net.Inet6Address ? InetAddress.ofLiteral("::") : InetAddress.ofLiteral("0.0.0.0");
        }
    }
}
