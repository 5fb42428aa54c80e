package sitelink.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import sitelink.config.ConfigProblem;
import sitelink.config.IkeSite;
import sitelink.config.InterfaceAddress;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.config.SiteFile;
import sitelink.config.SystemChecks;
import sitelink.config.TunnelInterface;
import sitelink.control.Gateways;
import sitelink.gateway.RunningGateway;
import sitelink.os.process.Pidfd;
import sitelink.route.Prefix;

/**
 * {@code sitelink check FILE}: everything {@code up} would verify before touching the system, and nothing more.
 * Each problem is one line on stderr ({@code file:line:col: what; how to fix}); exit 1 on any error. A good file
 * gets a one-paragraph summary on stdout and exit 0.
 */
@Command(name = "check", description = "Validate a site file (YAML, or a wg-quick .conf) and this machine, changing nothing.")
public final class CheckCommand implements Callable<Integer> {
    final KeyCommands.Io io = new KeyCommands.Io();
    /** Where running gateways' PID files are; tests point it elsewhere. */
    Path runDirectory = Gateways.RUN_DIRECTORY;

    @Parameters(paramLabel = "FILE", description = "the site file, e.g. /etc/sitelink/office-a.yaml")
    Path file;

    @Override
    public Integer call() {
        SiteFile site = SiteFile.load(file);
        List<ConfigProblem> problems = new ArrayList<>(site.problems());
        // System checks look at key files and the port even when the file has other errors: one run, every problem.
        List<String> notes = new ArrayList<>();
        for (ConfigProblem p : SystemChecks.run(site)) {
            Optional<String> held = heldByThisFilesGateway(site, p);
            held.ifPresent(notes::add);
            if (held.isEmpty()) {
                problems.add(p);
            }
        }
        problems.forEach(io.err::println);
        io.err.flush();
        if (problems.stream().anyMatch(ConfigProblem::isError)) {
            long n = problems.stream().filter(ConfigProblem::isError).count();
            io.err.println(site.displayName() + ": " + n + (n == 1 ? " error" : " errors") + "; nothing was changed");
            return 1;
        }
        SiteConfig config = site.config().orElseThrow();
        List<String> unruled = new ArrayList<>();
        config.remoteSites().stream().filter(r -> r.policy().isEmpty()).forEach(r -> unruled.add(r.name()));
        config.ikeSites().stream().filter(r -> r.policy().isEmpty()).forEach(r -> unruled.add(r.name()));
        if (unruled.size() > LIST_AT_MOST) { // a hub: one warning for them all
            io.err.println(site.displayName() + ": warning: " + unruled.size() + " remote sites (" + String.join(", ",
                    unruled.subList(0, 3)) + " and " + (unruled.size() - 3) + " more) have no policy rules, so "
                    + "everything between their subnets and this site's passes (only the traffic selectors apply); add "
                    + "'policy:' allow rules for least privilege (docs/policy.md)");
            unruled.clear();
        }
        for (String r : unruled) {
            io.err.println(site.displayName() + ": warning: remote site " + r + " has no policy rules, so "
                    + "everything between the two sites' subnets passes (only the traffic selectors apply); add "
                    + "'policy:' allow rules for least privilege (docs/policy.md)");
        }
        notes.forEach(n -> io.err.println(site.displayName() + ": note: " + n));
        io.err.flush();
        io.out.println(summary(config));
        io.out.flush();
        return 0;
    }

    /**
     * The listen port is "in use" by the very gateway running this file (checked before a reload, or to see what
     * runs): not a problem but a fact, when the gateway's PID file names a live {@code sitelink up} of this file.
     */
    private Optional<String> heldByThisFilesGateway(SiteFile site, ConfigProblem p) {
        boolean listen = p.message().startsWith("listen_port "), ike = p.message().startsWith("IKEv2 sites need UDP port ");
        if (!p.isError() || !(listen || ike) || !p.message().contains("already in use")
                || site.config().isEmpty() || site.path().isEmpty()) {
            return Optional.empty();
        }
        String iface = site.config().get().tunnel().name();
        if (RunningGateway.find(runDirectory, iface, site.path().get()) instanceof RunningGateway.Lookup.Found(Pidfd g)) {
            try (g) {
                String port = listen ? "listen_port " + site.config().get().listenPort()
                        : "UDP port " + p.message().substring("IKEv2 sites need UDP port ".length()).split(",")[0] + " (IKE)";
                return Optional.of("this file's gateway is running (pid " + g.pid() + ") and holds " + port
                        + "; 'sitelink reload " + site.path().get() + "' applies changes to it");
            }
        }
        return Optional.empty();
    }

    /** Past this many remote sites (a hub), the summary and the policy warning name the first three and count the rest. */
    static final int LIST_AT_MOST = 20;

    /** e.g. "site office-a: 1 remote site (office-b: 198.18.2.0/24 via 198.18.0.2:51820), tunnel sl-b 198.19.0.1/30 mtu 1420, listening on 51820". */
    static String summary(SiteConfig c) {
        int n = c.remoteSites().size() + c.ikeSites().size();
        // A hub's thousand sites would make this one line of a hundred kilobytes: the first few, then how many more.
        int shown = n > LIST_AT_MOST ? 3 : n;
        String sites = java.util.stream.Stream.concat(c.remoteSites().stream().map(CheckCommand::remote),
                c.ikeSites().stream().map(CheckCommand::ike)).limit(shown).collect(Collectors.joining("; "))
                + (shown < n ? "; and " + (n - shown) + " more" : "");
        TunnelInterface t = c.tunnel();
        String addrs = t.addresses().stream().map(InterfaceAddress::toString).collect(Collectors.joining(" "));
        String local = c.localSubnets().isEmpty() ? ""
                : " serving " + c.localSubnets().stream().map(Prefix::toString).collect(Collectors.joining(", "));
        return "site " + c.name() + local + ": " + n + (n == 1 ? " remote site" : " remote sites")
                + (n == 0 ? "" : " (" + sites + ")")
                + ", tunnel " + t.name() + (addrs.isEmpty() ? "" : " " + addrs) + " mtu " + t.mtu()
                + (t.routeTable() == TunnelInterface.NO_ROUTES ? " (no routes installed)"
                        : t.routeTable() == TunnelInterface.MAIN_TABLE ? "" : " (routes in table " + t.routeTable() + ")")
                + ", listening on " + (c.listenPort() == 0 ? "a port the system picks" : String.valueOf(c.listenPort()));
    }

    /**
     * e.g. "branch (IKEv2): 198.18.2.0/24 via 198.51.100.2:500, start_action start, auth psk, ids (this gateway's
     * address) -> 198.51.100.2, IKE aes256gcm16-...-modp2048, ESP aes256gcm16-chacha20poly1305, lifetimes IKE 4h /
     * CHILD 1h, dpd_delay 30s, post_quantum preferred, no policy rules (...)"; the proposals as used (with
     * post_quantum, the hybrid ones first).
     */
    private static String ike(IkeSite r) {
        return r.name() + " (IKEv2): " + subnets(r.remoteSubnets())
                + r.endpoint().map(e -> " via " + e).orElse(", waits for it to initiate")
                + ", start_action " + r.startAction().word()
                + ", auth " + r.auth().method()
                + ", ids " + r.localId().map(Object::toString).orElse("(this gateway's address)") + " -> "
                + r.remoteId().map(Object::toString).orElse(r.endpoint().flatMap(e -> e.literalAddress())
                        .map(a -> a.getHostAddress()).orElse("(the peer's address)"))
                + r.profile().map(p -> ", profile " + p.word()).orElse("")
                + ", IKE " + r.ikeProposals().stream().map(CheckCommand::spec).collect(Collectors.joining(","))
                + ", ESP " + r.espProposals().stream().map(CheckCommand::spec).collect(Collectors.joining(","))
                + ", lifetimes IKE " + duration(r.ikeLifetime()) + " / CHILD " + duration(r.childLifetime())
                + ", dpd_delay " + (r.dpdDelay().isZero() ? "off" : duration(r.dpdDelay()))
                + ", post_quantum " + r.postQuantum().word()
                + (r.policy().isEmpty() ? ", no policy rules (everything between the subnets passes)"
                        : ", policy: " + r.policy().stream().map(Object::toString).collect(Collectors.joining("; ")));
    }

    /** A proposal as the user writes it, without the "IKE:"/"ESP:" prefix and the noesn we add by default. */
    private static String spec(sitelink.ike.Proposal p) {
        return p.transforms().stream().filter(t -> !t.name().equals("noesn")).map(t -> t.name())
                .collect(Collectors.joining("-"));
    }

    private static String duration(java.time.Duration d) {
        long s = d.toSeconds();
        return s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    private static String subnets(List<Prefix> p) {
        return p.isEmpty() ? "no subnets" : p.stream().map(Prefix::toString).collect(Collectors.joining(", "));
    }

    private static String remote(RemoteSite r) {
        String subnets = r.remoteSubnets().isEmpty() ? "no subnets"
                : r.remoteSubnets().stream().map(Prefix::toString).collect(Collectors.joining(", "));
        return r.name() + ": " + subnets
                + r.endpoint().map(e -> " via " + e).orElse(", waits for it to connect")
                + (r.persistentKeepalive() == 0 ? "" : ", keepalive " + r.persistentKeepalive() + "s")
                + (r.presharedKey().isPresent() ? ", preshared key" : "")
                + (r.policy().isEmpty() ? ", no policy rules (everything between the subnets passes)"
                        : ", policy: " + r.policy().stream().map(Object::toString).collect(Collectors.joining("; ")));
    }
}
