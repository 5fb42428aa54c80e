package sitelink.export;

import java.util.List;
import java.util.stream.Collectors;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.route.Prefix;

/**
 * A wg-quick(8) file for the far side of a WireGuard remote site. Its private key is the one thing we do not have:
 * the file leaves PrivateKey out and sets it in PostUp from a key file (or the user writes it in), and says which
 * public key it must belong to.
 */
final class WgQuickExport {
    private WgQuickExport() {
    }

    static String render(SiteConfig site, RemoteSite remote, Export.Options options) {
        WireGuardFarSide far = WireGuardFarSide.of(site, remote);
        String keyFile = "/etc/wireguard/" + remote.name() + ".key";
        StringBuilder out = new StringBuilder();
        out.append("# wg-quick file for the far side of remote site ").append(remote.name()).append(" in ")
                .append(options.siteFile()).append(" (site ").append(site.name()).append("), made by sitelink export.\n");
        out.append("[Interface]\n");
        out.append("# This gateway's own private key, the one whose public key is ").append(remote.publicKey().toBase64())
                .append(" (").append(options.siteFile()).append("'s public_key for ").append(remote.name()).append("):\n");
        out.append("# keep it in ").append(keyFile).append(" (mode 0600) for the PostUp line, or replace that line with PrivateKey = <the key>.\n");
        out.append("PostUp = wg set %i private-key ").append(keyFile).append('\n');
        far.theirTunnelAddress().ifPresent(a -> out.append("Address = ").append(a).append('\n'));
        remote.endpoint().ifPresent(e -> out.append("ListenPort = ").append(e.port()).append('\n'));
        out.append("MTU = ").append(site.tunnel().mtu()).append('\n');
        out.append("\n[Peer]\n");
        out.append("# ").append(site.name()).append('\n');
        out.append("PublicKey = ").append(site.publicKey().toBase64()).append('\n');
        remote.presharedKey().ifPresent(k -> out.append(options.includeSecrets() ? "PresharedKey = " + k.toBase64() + "\n"
                : "# PresharedKey = ...   the preshared key of " + options.siteFile() + " for " + remote.name()
                + " (or export with --include-secrets)\n"));
        WireGuardFarSide.ourEndpoint(site, options).ifPresentOrElse(e -> out.append("Endpoint = ").append(e).append('\n'),
                () -> out.append(site.listenPort() == 0 ? "# no Endpoint: " + site.name() + " picks its port and dials out\n"
                        : "# Endpoint = <" + site.name() + "'s address>:" + site.listenPort() + "   (sitelink export --address fills it in)\n"));
        out.append("AllowedIPs = ").append(join(far.ourSubnets())).append('\n');
        if (remote.persistentKeepalive() > 0) {
            out.append("PersistentKeepalive = ").append(remote.persistentKeepalive()).append('\n');
        }
        return out.toString();
    }

    static String join(List<Prefix> ps) {
        return ps.stream().map(Prefix::toString).collect(Collectors.joining(", "));
    }
}
