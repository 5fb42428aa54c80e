package sitelink.export;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import sitelink.config.InterfaceAddress;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.route.Prefix;

/**
 * A WireGuard remote site seen from the other end. Its tunnel address is the single address among our remote subnets
 * that lies in our tunnel's subnet (198.19.0.2/32 beside our 198.19.0.1/30); its own subnets are the rest; it reaches
 * our local subnets and our tunnel addresses.
 */
record WireGuardFarSide(Optional<InterfaceAddress> theirTunnelAddress, List<Prefix> theirSubnets, List<Prefix> ourSubnets) {
    static WireGuardFarSide of(SiteConfig site, RemoteSite remote) {
        Optional<InterfaceAddress> tunnelAddress = Optional.empty();
        List<Prefix> theirs = new ArrayList<>();
        for (Prefix p : remote.remoteSubnets()) {
            int host = p.isIpv4() ? 32 : 128;
            Optional<InterfaceAddress> in = p.length() == host && tunnelAddress.isEmpty()
                    ? site.tunnel().addresses().stream().filter(a -> a.subnet().contains(p.address()))
                            .map(a -> new InterfaceAddress(p.address(), a.length())).findFirst()
                    : Optional.empty();
            if (in.isPresent()) {
                tunnelAddress = in;
            } else {
                theirs.add(p);
            }
        }
        List<Prefix> ours = new ArrayList<>(site.localSubnets());
        for (InterfaceAddress a : site.tunnel().addresses()) {
            ours.add(new Prefix(a.address(), a.isIpv4() ? 32 : 128));
        }
        return new WireGuardFarSide(tunnelAddress, theirs, ours);
    }

    /** Our endpoint as the far side dials it: --address and our listen_port; empty when either is unknown. */
    static Optional<String> ourEndpoint(SiteConfig site, Export.Options options) {
        if (site.listenPort() == 0) {
            return Optional.empty();
        }
        return options.ourAddress().map(a -> (a.contains(":") ? "[" + a + "]" : a) + ":" + site.listenPort());
    }
}
