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
            Optional<InetSocketAddress> endpoint = Optional.empty();
            if (site.endpoint().isPresent()) {
                try {
                    endpoint = Optional.of(site.endpoint().get().resolve());
                } catch (UnknownHostException e) {
                    throw new GatewayException("endpoint " + site.endpoint().get() + " of " + site.name()
                            + " does not resolve (" + e.getMessage() + "); IKEv2 sites need a resolvable endpoint at start");
                }
            }
            Optional<SiteCertificates> certificates = site.auth() instanceof IkeAuth.Cert c
                    ? Optional.of(new SiteCertificates(site.name(), c.certificates(), c.crlFiles(), f -> PemFiles.read(f).crls(),
                    Clock.SYSTEM)) : Optional.empty();
            settings.add(new IpsecSite.Settings(site.name(), endpoint, site.startAction() == StartAction.START,
                    site.startAction() == StartAction.TRAP, (local, remote) -> site.toIkeConfig(config.localSubnets(), local,
                    remote, certificates.map(SiteCertificates::current)), certificates));
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
