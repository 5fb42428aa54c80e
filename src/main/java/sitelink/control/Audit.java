package sitelink.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import sitelink.config.ConfigProblem;
import sitelink.config.IkeSite;
import sitelink.config.Location;
import sitelink.config.Node;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.config.SiteFile;
import sitelink.config.SiteTree;
import sitelink.config.SystemChecks;
import sitelink.crypto.Key;
import sitelink.policy.Rule;
import sitelink.route.Prefix;

/**
 * {@code sitelink audit}: the periodic review of site files as findings, each with the file and line it is about and
 * the fix. Everything {@code check} refuses, and what it accepts but a reviewer would question: preshared keys not
 * rotated in 90 days, key files others may read, traffic selectors wider than the far site serves, remote sites
 * without policy rules or with a rule that allows everything, keepalives longer than NATs keep a UDP mapping, and a
 * file that changed since its last audit (a fingerprint kept in a state directory). Reads files only; writes only
 * its own fingerprints.
 */
public final class Audit {
    /**
     * Keepalives longer than this let many NATs forget the mapping: some keep an idle UDP mapping only 30 s, and 25 s
     * is what WireGuard's documentation recommends.
     */
    public static final int MAX_KEEPALIVE_SECONDS = 25;

    public enum Severity {
        INFO, WARNING, ERROR;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One finding. {@code code} is a stable word for scripts ({@code psk-age}, {@code broad-selector}, ...);
     * {@code fix} says what to do.
     */
    public record Finding(Severity severity, String file, int line, String code, String message, String fix) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + severity.word() + ": " + message + (fix.isEmpty() ? "" : "; " + fix);
        }
    }

    private final Instant now;
    private final Optional<Path> stateDirectory;

    /**
     * @param now            the time the ages are measured against
     * @param stateDirectory where the fingerprints of audited files are kept; empty: no drift check, nothing written
     */
    public Audit(Instant now, Optional<Path> stateDirectory) {
        this.now = now;
        this.stateDirectory = stateDirectory;
    }

    /** A site file read for the audit: its validation, its tree (for lines) and the public key it serves. */
    private record Audited(Path path, SiteFile file, Optional<Node> tree, Optional<Key> publicKey) {
    }

    /** Audits {@code files} together: a remote site's selectors are compared with its own file when that is among them. */
    public List<Finding> run(List<Path> files) {
        List<Audited> all = new ArrayList<>();
        for (Path p : files) {
            SiteFile f = SiteFile.load(p);
            all.add(new Audited(p, f, SiteTree.read(p), f.config().map(SiteConfig::publicKey)));
        }
        List<Finding> findings = new ArrayList<>();
        for (Audited a : all) {
            audit(a, all, findings);
        }
        return findings;
    }

    private void audit(Audited a, List<Audited> all, List<Finding> out) {
        String shown = a.file().displayName();
        for (ConfigProblem p : Stream.concat(a.file().problems().stream(), SystemChecks.files(a.file()).stream()).toList()) {
            out.add(new Finding(p.isError() ? Severity.ERROR : Severity.WARNING, p.location().file(), p.location().line(),
                    p.isError() ? "invalid" : "check-warning", p.message(), ""));
        }
        for (ConfigProblem p : SystemChecks.pskAges(a.file(), now)) {
            int fix = p.message().indexOf("; ");
            out.add(new Finding(Severity.WARNING, p.location().file(), p.location().line(), "psk-age",
                    fix < 0 ? p.message() : p.message().substring(0, fix), fix < 0 ? "" : p.message().substring(fix + 2)));
        }
        if (a.file().inlineKey()) {
            out.add(new Finding(Severity.WARNING, shown, 1, "inline-key", "a key is written in the site file itself, so "
                    + "everyone who may read the file, its backups and its history has it",
                    "move it to a key file of mode 0600 (private_key_file:, preshared_key_file:)"));
        }
        a.file().config().ifPresent(c -> {
            for (RemoteSite r : c.remoteSites()) {
                selectors(a, r.name(), r.remoteSubnets(), Optional.of(r.publicKey()), all, out);
                policy(a, r.name(), r.policy(), out);
                keepalive(r, a, out);
            }
            for (IkeSite r : c.ikeSites()) { // its far side is an IPsec gateway: no file of it to compare with
                selectors(a, r.name(), r.remoteSubnets(), Optional.empty(), all, out);
                policy(a, r.name(), r.policy(), out);
            }
        });
        drift(a, out);
    }

    /** Selectors of 0.0.0.0/0 or ::/0, or wider than every subnet the far site's own file serves. */
    private static void selectors(Audited a, String name, List<Prefix> subnets, Optional<Key> farKey, List<Audited> all,
                                  List<Finding> out) {
        Optional<SiteConfig> far = farKey.flatMap(k -> all.stream()
                .filter(o -> o != a && o.publicKey().equals(Optional.of(k))).findFirst()).flatMap(o -> o.file().config());
        List<Node> items = listNodes(remoteSite(a, name), "remote_subnets");
        for (int i = 0; i < subnets.size(); i++) {
            Prefix s = subnets.get(i);
            Location at = i < items.size() ? items.get(i).location() : remoteSiteAt(a, name);
            if (s.length() == 0) {
                out.add(new Finding(Severity.WARNING, at.file(), at.line(), "broad-selector", "remote site " + name
                        + " is sent and may send every address (" + s + ")", "list the subnets " + name
                        + " serves instead"));
            } else if (far.isPresent() && !served(far.get(), s)) {
                out.add(new Finding(Severity.WARNING, at.file(), at.line(), "broad-selector", "remote subnet " + s
                        + " is wider than what " + name + " serves (" + servedList(far.get()) + ")",
                        "narrow it to the subnets " + name + "'s own file lists as local_subnets"));
            }
        }
    }

    /** True if one of the far site's local subnets or tunnel addresses contains all of {@code s}. */
    private static boolean served(SiteConfig far, Prefix s) {
        return servedPrefixes(far).anyMatch(p -> p.length() <= s.length() && p.contains(s.address()));
    }

    private static Stream<Prefix> servedPrefixes(SiteConfig far) {
        return Stream.concat(far.localSubnets().stream(), far.tunnel().addresses().stream()
                .map(ia -> new Prefix(ia.address(), ia.address().getAddress().length * 8)));
    }

    private static String servedList(SiteConfig far) {
        return String.join(", ", servedPrefixes(far).map(Prefix::toString).toList());
    }

    private static void policy(Audited a, String name, List<Rule> policy, List<Finding> out) {
        Location at = remoteSiteAt(a, name);
        if (policy.isEmpty()) {
            out.add(new Finding(Severity.WARNING, at.file(), at.line(), "allow-all", "remote site " + name
                    + " has no policy rules: every host on either side may reach every host on the other",
                    "list the flows that must cross (policy: - allow to tcp PREFIX port PORTS; docs/policy.md)"));
            return;
        }
        List<Node> rules = listNodes(remoteSite(a, name), "policy");
        for (int i = 0; i < policy.size(); i++) {
            Rule rule = policy.get(i);
            if (rule.protocol() == Rule.Protocol.ANY && rule.ports().isEmpty() && rule.icmpTypes().isEmpty()
                    && rule.source().map(p -> p.length() == 0).orElse(true)
                    && rule.destination().map(p -> p.length() == 0).orElse(true)) {
                Location l = i < rules.size() ? rules.get(i).location() : at;
                out.add(new Finding(Severity.WARNING, l.file(), l.line(), "allow-all", "policy rule " + (i + 1)
                        + " of " + name + " allows every protocol between any addresses (" + rule + ")",
                        "name the protocol, addresses and ports the flows need"));
            }
        }
    }

    private static void keepalive(RemoteSite r, Audited a, List<Finding> out) {
        if (r.persistentKeepalive() > MAX_KEEPALIVE_SECONDS) {
            Location at = remoteSite(a, r.name()).flatMap(m -> m.field("persistent_keepalive"))
                    .map(f -> f.value().location()).orElse(remoteSiteAt(a, r.name()));
            out.add(new Finding(Severity.WARNING, at.file(), at.line(), "keepalive", "persistent_keepalive of "
                    + r.name() + " is " + r.persistentKeepalive() + " s: NATs that forget an idle UDP mapping after "
                    + "30 s cut the tunnel between keepalives", "use " + MAX_KEEPALIVE_SECONDS + " (or 0 when "
                    + "neither side is behind NAT)"));
        }
    }

    /** The file changed since its last audit: reported once, then its new fingerprint is kept. */
    private void drift(Audited a, List<Finding> out) {
        if (stateDirectory.isEmpty()) {
            return;
        }
        byte[] content;
        try {
            content = Files.readAllBytes(a.path());
        } catch (IOException e) {
            return; // reported as invalid above
        }
        String fingerprint = sha256(content);
        Path store = stateDirectory.get().resolve(sha256(a.path().toAbsolutePath().normalize().toString()
                .getBytes(StandardCharsets.UTF_8)).substring(0, 32) + ".fingerprint");
        try {
            if (Files.exists(store)) {
                List<String> kept = Files.readAllLines(store, StandardCharsets.UTF_8);
                if (!kept.isEmpty() && !kept.get(0).equals(fingerprint)) {
                    String when = kept.size() > 1 ? kept.get(1) : "an earlier audit";
                    out.add(new Finding(Severity.INFO, a.file().displayName(), 1, "changed", "changed since its last "
                            + "audit (" + when + ")", "review the change (e.g. in its version control or backup)"));
                }
            }
            Files.createDirectories(stateDirectory.get());
            Files.writeString(store, fingerprint + "\n" + now + "\n" + a.path().toAbsolutePath().normalize() + "\n",
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            out.add(new Finding(Severity.INFO, a.file().displayName(), 1, "state", "cannot keep the audit fingerprint "
                    + "in " + stateDirectory.get() + " (" + e.getMessage() + ")", "run as root, or give --state-dir"));
        }
    }

    private static Optional<Node.Mapping> remoteSite(Audited a, String name) {
        return a.tree().flatMap(t -> listNodes(Optional.of(t), "remote_sites").stream()
                .filter(n -> n instanceof Node.Mapping m && m.field("name").map(f -> f.value() instanceof Node.Scalar s
                        && s.text().equals(name)).orElse(false))
                .map(n -> (Node.Mapping) n).findFirst());
    }

    private static Location remoteSiteAt(Audited a, String name) {
        return remoteSite(a, name).map(Node.Mapping::location)
                .orElse(new Location(a.file().displayName(), 1, 1));
    }

    private static List<Node> listNodes(Optional<? extends Node> parent, String field) {
        return parent.filter(n -> n instanceof Node.Mapping).flatMap(n -> ((Node.Mapping) n).field(field))
                .map(Node.Field::value).map(v -> v instanceof Node.Sequence s ? s.items() : List.of(v)).orElse(List.of());
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
