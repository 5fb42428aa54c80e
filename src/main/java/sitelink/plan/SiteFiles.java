package sitelink.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import sitelink.plan.Topology.Site;
import sitelink.route.Prefix;

/**
 * Writes each site's file from a checked {@link Topology}: its links as remote sites, each carrying the prefixes of
 * every site reached through it ({@link Routing}), keepalives from sites behind NAT, and on a hub the policy rules
 * that keep apart the spokes its policy separates. The text is the same for the same topology (no dates, not even the topology's file name), so
 * {@code plan --diff} shows only what a change changes.
 */
public final class SiteFiles {
    /** The first line of every file plan writes; plan overwrites only files that start with it. */
    public static final String HEADER = "# Written by 'sitelink plan'";

    private SiteFiles() {
    }

    /**
     * Site {@code s}'s file. One at a time: a large network's
     * files together are far larger than the topology (each spoke's file lists every other site's prefixes).
     */
    static String file(Topology t, Routing r, Site s) {
        StringBuilder b = new StringBuilder();
        b.append(HEADER).append(" (network ").append(t.network()).append(", ")
                .append(t.shape().word()).append("): site ").append(s.name()).append(", a ")
                .append(s.role() == Topology.Role.MESH ? "mesh member" : s.role().word())
                .append(".\n# Do not edit: change the topology and run 'sitelink plan' again ('sitelink plan --diff' "
                        + "shows what would change).\n");
        b.append("name: ").append(s.name()).append('\n');
        b.append("# The private key never leaves this site: umask 077; sitelink genkey > ").append(s.privateKeyFile())
                .append('\n');
        b.append("private_key_file: ").append(s.privateKeyFile()).append('\n');
        if (s.listenPort() != 0) {
            b.append("listen_port: ").append(s.listenPort()).append('\n');
        }
        b.append("tunnel:\n  name: ").append(s.tunnelName()).append('\n');
        s.tunnelAddress().ifPresent(a -> b.append("  addresses: [").append(Prefix.formatAddress(a)).append('/')
                .append(t.pool().orElseThrow().length()).append("]\n"));
        b.append("  mtu: ").append(t.mtu()).append('\n');
        b.append("local_subnets:\n");
        s.subnets().forEach(p -> b.append("  - ").append(p).append('\n'));
        return b.append(remoteSites(t, r, s)).toString();
    }

    /** The {@code remote_sites:} list of site {@code s}'s file: one entry per link. */
    static String remoteSites(Topology t, Routing r, Site s) {
        StringBuilder b = new StringBuilder("remote_sites:\n");
        for (Site link : t.sites()) {
            if (r.linked(s, link)) {
                remote(b, t, r, s, link);
            }
        }
        return b.toString();
    }

    private static void remote(StringBuilder b, Topology t, Routing r, Site s, Site link) {
        b.append("  - name: ").append(link.name()).append('\n');
        b.append("    public_key: ").append(link.publicKey()).append('\n');
        // YAML would read an unquoted [2001:db8::2]:51820 as a list.
        link.endpoint().map(Object::toString).map(e -> e.startsWith("[") ? '"' + e + '"' : e)
                .ifPresent(e -> b.append("    endpoint: ").append(e).append('\n'));
        b.append("    remote_subnets:\n");
        for (Site d : t.sites()) {
            if (d != s && r.next(s, d).orElse(null) == link) {
                String note = d == link ? d.name() : d.name() + ", through " + link.name();
                for (Prefix p : d.prefixes()) {
                    String what = d.subnets().contains(p) ? note : note + " (tunnel address)";
                    b.append(String.format("      - %-28s # %s%n", p, what));
                }
            }
        }
        if (s.behindNat() && link.endpoint().isPresent()) {
            b.append("    persistent_keepalive: ").append(t.keepalive())
                    .append("   # this site is behind NAT: keeps its mapping open\n");
        }
        List<String> rules = hubRules(t, r, s, link);
        if (!rules.isEmpty()) {
            b.append("    # The hub policy: ").append(link.name()).append(" talks only with the sites below.\n");
            b.append("    policy:\n");
            rules.forEach(x -> b.append("      - ").append(x).append('\n'));
        }
    }

    /**
     * On hub {@code hub}, the rules for its spoke {@code spoke} when the hub policy keeps that spoke apart from some
     * other spoke (or, with spoke_to_spoke: deny, always): flows between the spoke and each site it may talk with
     * through this hub, opened from either side. Everything else is dropped and counted at the hub.
     */
    static List<String> hubRules(Topology t, Routing r, Site hub, Site spoke) {
        Topology.HubPolicy policy = t.hubPolicy();
        boolean restricted = !policy.spokesTalk() || policy.pairs().stream()
                .anyMatch(p -> List.of(p.split("\\|")).contains(spoke.name()));
        if (hub.isSpoke() || !spoke.isSpoke() || !restricted) {
            return List.of();
        }
        List<String> rules = new ArrayList<>();
        for (Site d : t.sites()) {
            if (d == spoke || r.next(spoke, d).orElse(null) != hub || d.isSpoke() && !policy.mayTalk(spoke.name(), d.name())) {
                continue;
            }
            for (Prefix p : d.prefixes()) {
                rules.add(String.format("%-40s # %s may open flows to %s", "allow from dst " + p, spoke.name(), d.name()));
                rules.add(String.format("%-40s # %s may open flows to %s", "allow to src " + p, d.name(), spoke.name()));
            }
        }
        return rules;
    }

    /** A site's name from a file name plan wrote, NAME.yaml. */
    static Optional<String> siteOf(String fileName) {
        return fileName.endsWith(".yaml") ? Optional.of(fileName.substring(0, fileName.length() - 5)) : Optional.empty();
    }
}
