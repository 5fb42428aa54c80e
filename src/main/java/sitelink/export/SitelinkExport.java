package sitelink.export;

import java.util.List;
import java.util.stream.Collectors;
import sitelink.config.IkeAuth;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.config.StartAction;
import sitelink.policy.Rule;
import sitelink.route.Prefix;

/**
 * The other sitelink's site file: the same link seen from the far end. Its key files are named beside it (relative
 * paths, as the file's own directory); the policy is mirrored (our {@code to} rules are its {@code from} rules).
 */
final class SitelinkExport {
    private SitelinkExport() {
    }

    static String wireGuard(SiteConfig site, RemoteSite remote, Export.Options options) {
        WireGuardFarSide far = WireGuardFarSide.of(site, remote);
        StringBuilder out = new StringBuilder(header(site.name(), remote.name(), options));
        out.append("name: ").append(remote.name()).append('\n');
        out.append("# This site's private key, the one whose public key is ").append(remote.publicKey().toBase64())
                .append(" (").append(options.siteFile()).append("'s public_key for ").append(remote.name()).append(")\n");
        out.append("private_key_file: ").append(remote.name()).append(".key\n");
        remote.endpoint().ifPresent(e -> out.append("listen_port: ").append(e.port()).append('\n'));
        out.append("tunnel:\n  name: ").append(tunnelName(site.name())).append('\n');
        far.theirTunnelAddress().ifPresent(a -> out.append("  addresses: [").append(a).append("]\n"));
        out.append("  mtu: ").append(site.tunnel().mtu()).append('\n');
        out.append("local_subnets: [").append(join(far.theirSubnets())).append("]\n");
        out.append("remote_sites:\n  - name: ").append(site.name()).append('\n');
        out.append("    public_key: ").append(site.publicKey().toBase64()).append('\n');
        remote.presharedKey().ifPresent(k -> out.append(options.includeSecrets() ? "    preshared_key: " + k.toBase64() + "\n"
                : "    preshared_key_file: " + remote.name() + "-" + site.name() + ".psk   # the same key as "
                + options.siteFile() + "'s for " + remote.name() + " (or export with --include-secrets)\n"));
        WireGuardFarSide.ourEndpoint(site, options).ifPresentOrElse(e -> out.append("    endpoint: ").append(quote(e)).append('\n'),
                () -> out.append("    # endpoint: ").append(site.name()).append("'s address and port ").append(site.listenPort())
                        .append(" (sitelink export --address fills it in)\n"));
        out.append("    remote_subnets: [").append(join(far.ourSubnets())).append("]\n");
        if (remote.persistentKeepalive() > 0) {
            out.append("    persistent_keepalive: ").append(remote.persistentKeepalive()).append('\n');
        }
        policy(remote.policy(), out);
        return out.toString();
    }

    static String ikev2(SiteConfig site, FarSide f) {
        StringBuilder out = new StringBuilder(header(site.name(), f.theirName(), new Export.Options(f.siteFile(),
                f.ourAddress(), f.includeSecrets())));
        out.append("name: ").append(f.theirName()).append('\n');
        out.append("private_key_file: ").append(f.theirName()).append(".key   # every site file has a WireGuard key for now: "
                + "umask 077; sitelink genkey > ").append(f.theirName()).append(".key\n");
        out.append("tunnel:\n  name: ").append(tunnelName(site.name())).append('\n');
        out.append("local_subnets: [").append(join(f.theirSubnets())).append("]\n");
        out.append("remote_sites:\n  - name: ").append(site.name()).append("\n    protocol: ikev2\n");
        switch (f.site().auth()) {
            case IkeAuth.Psk p -> out.append("    psk_file: ").append(f.theirName()).append('-').append(site.name())
                    .append(".psk   # the same line as ").append(p.file()).append(" (mode 0600)\n");
            case IkeAuth.Cert c -> out.append("    auth: cert\n    certificate: ").append(f.theirName())
                    .append("-cert.pem   # naming ").append(f.theirId().map(FarSide.Id::value).orElse("its address"))
                    .append("\n    private_key: ").append(f.theirName()).append("-key.pem\n    ca: ca.pem   # the CA of ")
                    .append(site.name()).append("'s certificate (").append(c.certificates().chain().get(0)
                            .getIssuerX500Principal().getName()).append(")\n");
        }
        f.ourAddress().ifPresentOrElse(a -> out.append("    endpoint: ").append(a).append('\n'),
                () -> out.append("    # endpoint: ").append(site.name()).append("'s address (sitelink export --address fills it in)\n"));
        out.append("    remote_subnets: [").append(join(f.ourSubnets())).append("]\n");
        f.theirId().ifPresent(id -> out.append("    local_id: ").append(quote(id.value())).append('\n'));
        f.ourId().ifPresent(id -> out.append("    remote_id: ").append(quote(id.value())).append('\n'));
        out.append("    ike_proposals: [").append(f.site().ikeProposals().stream().map(FarSide::spec).collect(Collectors.joining(", "))).append("]\n");
        out.append("    esp_proposals: [").append(f.site().espProposals().stream().map(FarSide::spec).collect(Collectors.joining(", "))).append("]\n");
        out.append("    ike_lifetime: ").append(FarSide.time(f.site().ikeLifetime())).append('\n');
        out.append("    child_lifetime: ").append(FarSide.time(f.site().childLifetime())).append('\n');
        // the proposals above already carry our post-quantum setting's additions: the same setting adds nothing more
        out.append("    post_quantum: ").append(f.site().postQuantum().name().toLowerCase(java.util.Locale.ROOT)).append('\n');
        out.append("    dpd_delay: ").append(f.site().dpdDelay().isZero() ? "off" : FarSide.time(f.site().dpdDelay())).append('\n');
        boolean start = f.theyInitiate() && f.ourAddress().isPresent();
        out.append("    start_action: ").append(start ? StartAction.START.word() : StartAction.NONE.word())
                .append(start ? "   # " + site.name() + " only answers\n" : "   # " + site.name() + " initiates\n");
        policy(f.site().policy(), out);
        return out.toString();
    }

    private static String header(String ours, String theirs, Export.Options options) {
        return "# sitelink site file for the far side of remote site " + theirs + " in " + options.siteFile() + " (site "
                + ours + "), made by sitelink export.\n# Check it there with: sitelink check " + theirs + ".yaml\n";
    }

    /** Our rules seen from the far end: a flow we open ("to") is one it accepts ("from"); addresses stay as they are. */
    private static void policy(List<Rule> rules, StringBuilder out) {
        if (rules.isEmpty()) {
            return;
        }
        out.append("    policy:\n");
        for (Rule r : rules) {
            Rule.Scope mirrored = switch (r.direction()) {
                case TO -> Rule.Scope.FROM;
                case FROM -> Rule.Scope.TO;
                case BOTH -> Rule.Scope.BOTH;
            };
            out.append("      - ").append(new Rule(mirrored, r.protocol(), r.source(), r.destination(), r.ports(), r.icmpTypes())).append('\n');
        }
    }

    /** sl- and the other site's name, cut to Linux's 15 characters. */
    private static String tunnelName(String other) {
        String n = "sl-" + other.replaceAll("[^A-Za-z0-9_-]", "");
        return n.length() > 15 ? n.substring(0, 15) : n;
    }

    private static String quote(String s) {
        return s.matches("[A-Za-z0-9@._:-]+") && !s.contains(":") ? s : "\"" + s.replace("\"", "\\\"") + "\"";
    }

    private static String join(List<Prefix> ps) {
        return ps.stream().map(Prefix::toString).collect(Collectors.joining(", "));
    }
}
