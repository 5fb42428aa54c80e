package sitelink.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.policy.Rule;
import sitelink.policy.Rules;
import sitelink.route.Prefix;

/**
 * Turns a located {@link Node} tree into a {@link SiteConfig}, collecting every problem on the way instead of
 * stopping at the first, so one run of {@code sitelink check} shows the user everything to fix. Nothing outside
 * the file is consulted except key files it names; checks that depend on the machine are {@link SystemChecks}.
 */
final class SiteValidator {
    static final List<String> SITE_FIELDS = List.of("name", "private_key", "private_key_file", "listen_port", "fwmark",
            "tunnel", "local_subnets", "remote_sites", "metrics", "events");
    static final List<String> METRICS_FIELDS = List.of("listen", "per_site");
    static final List<String> EVENTS_FIELDS = List.of("syslog", "hook", "snmp");
    static final List<String> SNMP_FIELDS = List.of("target", "version", "community", "user", "auth_passphrase_file",
            "priv_passphrase_file", "engine_id");
    static final List<String> TUNNEL_FIELDS = List.of("name", "addresses", "mtu", "route_table", "mss_clamp");
    static final List<String> REMOTE_FIELDS = Stream.concat(Stream.of("name", "protocol", "public_key",
            "preshared_key", "preshared_key_file", "endpoint", "remote_subnets", "route_from", "dscp",
            "persistent_keepalive", "policy"),
            IkeSiteFields.FIELDS.stream()).toList();
    /** wg-quick's names for our fields, so a .conf user reads messages in the words of their file. */
    private static final Map<String, String> WG_LABELS = Map.of("private_key", "PrivateKey", "public_key", "PublicKey",
            "preshared_key", "PresharedKey", "listen_port", "ListenPort", "addresses", "Address", "mtu", "MTU",
            "endpoint", "Endpoint", "remote_subnets", "AllowedIPs", "persistent_keepalive", "PersistentKeepalive");
    private static final Pattern SITE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_=+.-]{1,15}");
    /** Compiled once: String.matches and replaceFirst compile their pattern on every call. */
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern WITH_PORT = Pattern.compile(".*:[0-9]+");
    private static final Pattern HEX_PREFIX = Pattern.compile("^0[xX]");

    /** @param inlineKey a private or preshared key is written in the file itself (so the file is a secret) */
    record Result(Optional<SiteConfig> config, List<SiteFile.KeyFile> keyFiles, Optional<Location> listenPortAt, int listenPort,
                  Optional<SiteFile.Hook> hook, boolean inlineKey, Optional<Location> ikeAt) {
    }

    record LocatedPrefix(Prefix prefix, Location at) {
    }

    /** The protocols a remote site may speak. */
    private enum Protocol { WIREGUARD, IKEV2 }

    /**
     * What the checks across remote sites need of one entry, whichever its protocol; a part that had an error is
     * empty (the entry's subnets are still compared).
     */
    private record Entry(Optional<String> name, Optional<Location> nameAt, Optional<Key> publicKey, Optional<Location> keyAt,
                         Optional<Endpoint> endpoint, Optional<Location> endpointAt, List<LocatedPrefix> subnets,
                         List<LocatedPrefix> routeFrom) {
    }

    private enum KeyKind {
        PRIVATE("generate one with 'sitelink genkey'"),
        // A remote site's public key is that site's: generating one here would never match its private key.
        PUBLIC("ask that site for its public key ('sitelink pubkey < its.key' there)"),
        PRESHARED("generate one with 'sitelink genpsk'");

        final String hint;

        KeyKind(String hint) {
            this.hint = hint;
        }
    }

    private final Path baseDir;
    private final boolean wgQuick;
    private final List<ConfigProblem> problems;
    private final List<SiteFile.KeyFile> keyFiles = new ArrayList<>();
    /** Each IKEv2 site's mapping by name, for the checks across sites that point at a field. */
    private final java.util.Map<String, Node.Mapping> ikeNodes = new java.util.HashMap<>();
    private Optional<SiteFile.Hook> hookAt = Optional.empty();
    private boolean inlineKey;
    /** Where the first IKEv2 site says {@code protocol: ikev2}: where a check of UDP 500 and 4500 points. */
    private Optional<Location> ikeAt = Optional.empty();
    private boolean sawIpv6;
    private String firstIpv6 = "";

    private SiteValidator(Path baseDir, boolean wgQuick, List<ConfigProblem> problems) {
        this.baseDir = baseDir;
        this.wgQuick = wgQuick;
        this.problems = problems;
    }

    static Result validate(Node root, Path baseDir, boolean wgQuick, List<ConfigProblem> problems) {
        return new SiteValidator(baseDir, wgQuick, problems).site(root);
    }

    private Result site(Node root) {
        if (!(root instanceof Node.Mapping m)) {
            error(root.location(), "a site file is a mapping of fields (name:, private_key_file:, tunnel:, ...), not "
                    + root.kind() + "; start from the example in docs/configuration.md");
            return new Result(Optional.empty(), keyFiles, Optional.empty(), 0, Optional.empty(), false, Optional.empty());
        }
        unknownFields(m, SITE_FIELDS, "the site");
        Optional<String> name = scalar(m, "name").flatMap(s -> siteName(s, "name"));
        if (m.field("name").isEmpty()) {
            missing(m, "name", "office-a", "the site");
        }
        Optional<Key> privateKey = secret(m, "private_key", "private_key_file", KeyKind.PRIVATE, false, "the site");
        Optional<Node.Scalar> portNode = scalar(m, "listen_port");
        int listenPort = portNode.map(s -> number(s, label(m, "listen_port"), 0, 65535,
                "use 1..65535 (51820 is WireGuard's usual port) or 0 to let the system pick one")).orElse(0);
        long fwmark = scalar(m, "fwmark").map(s -> s.text().equalsIgnoreCase("off") ? 0L
                : numberLong(s, label(m, "fwmark"), 0, 0xffffffffL, "use 0..4294967295 (0x prefix for hex), or off")).orElse(0L);
        List<LocatedPrefix> local = subnets(m, "local_subnets");

        Optional<Node.Mapping> tunnelNode = mapping(m, "tunnel");
        if (m.field("tunnel").isEmpty()) {
            missing(m, "tunnel", "{name: sl-office-b, addresses: [198.19.0.1/30]}", "the site");
        }
        List<RemoteSite> remotes = new ArrayList<>();
        List<IkeSite> ikeSites = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        for (Node item : list(m, "remote_sites")) {
            if (!(item instanceof Node.Mapping r)) {
                error(item.location(), "a remote site is a mapping (name:, public_key:, endpoint:, remote_subnets:), not " + item.kind());
                continue;
            }
            entries.add(remoteSite(r, local, remotes, ikeSites));
        }
        if (privateKey.isEmpty() && m.field("private_key").isEmpty() && m.field("private_key_file").isEmpty()) {
            if (remotes.isEmpty() && !ikeSites.isEmpty()) {
                // Linked only over IKEv2: WireGuard's key is nobody's identity here, so none need be written. The device
                // still runs WireGuard's core (no peers): it gets a key of its own for this run, never stored or shown.
                privateKey = Optional.of(X25519.generatePrivate(new java.security.SecureRandom()));
            } else {
                secret(m, "private_key", "private_key_file", KeyKind.PRIVATE, true, "the site"); // says it is missing
            }
        }
        List<List<LocatedPrefix>> remoteSubnets = entries.stream().map(Entry::subnets).toList();
        Optional<TunnelInterface> tunnel = tunnelNode.map(t -> tunnel(t, local, remoteSubnets));
        crossChecks(name, privateKey, local, entries, tunnel.map(TunnelInterface::routeTable).orElse(TunnelInterface.MAIN_TABLE));
        answeringIkeSites(ikeSites);

        Telemetry telemetry = telemetry(m, name.orElse("sitelink"));

        boolean ok = problems.stream().noneMatch(ConfigProblem::isError);
        Optional<SiteConfig> config = ok
                ? Optional.of(new SiteConfig(name.orElseThrow(), privateKey.orElseThrow(), listenPort, (int) fwmark,
                        tunnel.orElseThrow(), local.stream().map(LocatedPrefix::prefix).toList(), remotes, telemetry, ikeSites))
                : Optional.empty();
        return new Result(config, keyFiles, portNode.map(Node.Scalar::location), listenPort, hookAt, inlineKey, ikeAt);
    }

    /** {@code metrics: {listen: [ADDRESS:]PORT, per_site: auto|all|basic|none}} and {@code events: {syslog: udp|tcp://HOST:PORT, hook: PATH}}. */
    private Telemetry telemetry(Node.Mapping m, String siteNameForEngineId) {
        Optional<java.net.InetSocketAddress> listen = Optional.empty();
        Optional<Node.Mapping> metrics = mapping(m, "metrics");
        if (metrics.isPresent()) {
            unknownFields(metrics.get(), METRICS_FIELDS, "metrics");
            String fix = "write e.g. listen: 127.0.0.1:9586 (the address defaults to 127.0.0.1, the port to 9586)";
            listen = Optional.of(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(),
                    Telemetry.DEFAULT_METRICS_PORT));
            Optional<Node.Scalar> l = scalar(metrics.get(), "listen");
            if (l.isPresent()) {
                String t = l.get().text().strip();
                try {
                    if (DIGITS.matcher(t).matches()) {
                        listen = Optional.of(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(),
                                portNumber(t)));
                    } else {
                        Endpoint e = Endpoint.parse(t);
                        listen = Optional.of(new java.net.InetSocketAddress(
                                e.literalAddress().orElseThrow(() -> new IllegalArgumentException("give an IP address, not a name")),
                                e.port()));
                    }
                } catch (IllegalArgumentException ex) {
                    error(l.get().location(), "metrics listen '" + t + "' is not ADDRESS:PORT (" + ex.getMessage() + "); " + fix);
                    listen = Optional.empty();
                }
            }
        }
        Telemetry.PerSite perSite = Telemetry.PerSite.AUTO;
        Optional<Node.Scalar> ps = metrics.flatMap(x -> scalar(x, "per_site"));
        if (ps.isPresent()) {
            String t = ps.get().text().strip();
            switch (t) {
                case "all" -> perSite = Telemetry.PerSite.ALL;
                case "basic" -> perSite = Telemetry.PerSite.BASIC;
                case "none" -> perSite = Telemetry.PerSite.NONE;
                case "auto" -> perSite = Telemetry.PerSite.AUTO;
                default -> error(ps.get().location(), "metrics per_site '" + t + "' is not one of auto, all, basic, "
                        + "none; write per_site: auto (every series up to " + Telemetry.PerSite.AUTO_ALL_UP_TO
                        + " remote sites, four per site above)");
            }
        }
        Optional<java.net.URI> syslog = Optional.empty();
        Optional<java.nio.file.Path> hook = Optional.empty();
        List<SnmpTarget> snmp = new ArrayList<>();
        Optional<Node.Mapping> events = mapping(m, "events");
        if (events.isPresent()) {
            unknownFields(events.get(), EVENTS_FIELDS, "events");
            Optional<Node.Scalar> s = scalar(events.get(), "syslog");
            if (s.isPresent()) {
                String t = s.get().text().strip();
                String fix = "write udp://HOST:PORT or tcp://HOST:PORT, e.g. udp://198.18.0.9:514";
                try {
                    java.net.URI u = new java.net.URI(t);
                    if (!"udp".equals(u.getScheme()) && !"tcp".equals(u.getScheme()) || u.getHost() == null) {
                        throw new java.net.URISyntaxException(t, "not udp:// or tcp:// with a host");
                    }
                    syslog = Optional.of(u.getPort() < 0 ? new java.net.URI(u.getScheme(), null, u.getHost(), 514, null, null, null) : u);
                } catch (java.net.URISyntaxException ex) {
                    error(s.get().location(), "events syslog '" + t + "' is not a syslog collector; " + fix);
                }
            }
            Optional<Node.Scalar> h = scalar(events.get(), "hook");
            if (h.isPresent()) {
                java.nio.file.Path p = java.nio.file.Path.of(h.get().text().strip());
                if (!p.isAbsolute()) {
                    error(h.get().location(), "events hook '" + p + "' is not an absolute path; give the full path of the script");
                } else {
                    hook = Optional.of(p);
                    hookAt = Optional.of(new SiteFile.Hook(p, h.get().location()));
                }
            }
            for (Node n : list(events.get(), "snmp")) {
                if (n instanceof Node.Mapping t) {
                    snmpTarget(t, siteNameForEngineId).ifPresent(snmp::add);
                } else {
                    error(n.location(), "each entry of events snmp should be a mapping with target, version and "
                            + "user (v3) or community (v2c), not " + n.kind());
                }
            }
        }
        return new Telemetry(listen, syslog, hook, snmp, perSite);
    }

    /**
     * One trap receiver: {@code target: HOST[:PORT]}, {@code version: 3} (default; {@code user},
     * {@code auth_passphrase_file}, {@code priv_passphrase_file}, optional {@code engine_id} in hex) or
     * {@code version: 2c} ({@code community}).
     */
    private Optional<SnmpTarget> snmpTarget(Node.Mapping t, String siteName) {
        unknownFields(t, SNMP_FIELDS, "events snmp");
        Optional<Node.Scalar> target = scalar(t, "target");
        if (target.isEmpty()) {
            missing(t, "target", "198.51.100.9:162", "events snmp");
            return Optional.empty();
        }
        String host;
        int port = SnmpTarget.DEFAULT_PORT;
        String text = target.get().text().strip();
        try {
            java.net.InetAddress.ofLiteral(text); // a bare address, IPv6 included: the default port
            host = text;
        } catch (IllegalArgumentException notLiteral) {
            try {
                Endpoint e = WITH_PORT.matcher(text).matches() ? Endpoint.parse(text) : Endpoint.parse(text + ":" + port);
                host = e.host();
                port = e.port();
            } catch (IllegalArgumentException ex) {
                error(target.get().location(), "events snmp target '" + text + "' is not HOST[:PORT] (" + ex.getMessage()
                        + "); e.g. 198.51.100.9:162, \"[2001:db8::9]:162\" or nms.example.net");
                return Optional.empty();
            }
        }
        SnmpTarget.Version version = SnmpTarget.Version.V3;
        Optional<Node.Scalar> v = scalar(t, "version");
        if (v.isPresent()) {
            String w = v.get().text().strip().toLowerCase(java.util.Locale.ROOT);
            version = switch (w) {
                case "3", "v3" -> SnmpTarget.Version.V3;
                case "2c", "v2c" -> SnmpTarget.Version.V2C;
                default -> {
                    error(v.get().location(), "events snmp version '" + w + "' is not 3 or 2c (SNMPv1 traps are not "
                            + "sent: they carry no notification OID of SNMPv2-SMI); use 3 (authPriv) where the receiver can");
                    yield null;
                }
            };
            if (version == null) {
                return Optional.empty();
            }
        }
        Optional<Node.Scalar> community = scalar(t, "community");
        Optional<Node.Scalar> user = scalar(t, "user");
        if (version == SnmpTarget.Version.V2C) {
            for (String f : List.of("user", "auth_passphrase_file", "priv_passphrase_file", "engine_id")) {
                t.field(f).ifPresent(x -> error(x.keyLocation(), "events snmp " + f + " is for version 3; version 2c "
                        + "uses only community"));
            }
            if (community.isEmpty()) {
                missing(t, "community", "monitoring", "events snmp (version 2c)");
                return Optional.empty();
            }
            return Optional.of(new SnmpTarget(host, port, version, Optional.of(community.get().text().strip()),
                    Optional.empty(), Optional.empty(), Optional.empty(), new byte[0]));
        }
        community.ifPresent(c -> error(c.location(), "events snmp community is for version 2c; version 3 uses user "
                + "and passphrase files (or set version: 2c)"));
        if (user.isEmpty()) {
            missing(t, "user", "sitelink", "events snmp (version 3)");
        }
        Optional<SnmpTarget.Passphrase> auth = passphraseFile(t, "auth_passphrase_file");
        Optional<SnmpTarget.Passphrase> priv = passphraseFile(t, "priv_passphrase_file");
        byte[] engineId = SnmpTarget.defaultEngineId(siteName);
        Optional<Node.Scalar> e = scalar(t, "engine_id");
        if (e.isPresent()) {
            String hex = e.get().text().strip().transform(h -> HEX_PREFIX.matcher(h).replaceFirst("")).replace(":", "");
            try {
                engineId = java.util.HexFormat.of().parseHex(hex);
                if (engineId.length < 5 || engineId.length > 32) {
                    throw new IllegalArgumentException(engineId.length + " bytes");
                }
            } catch (IllegalArgumentException ex) {
                error(e.get().location(), "events snmp engine_id '" + e.get().text().strip() + "' is not 5 to 32 bytes "
                        + "of hex (" + ex.getMessage() + "); leave it out to use the default derived from the site name");
                return Optional.empty();
            }
        }
        if (user.isEmpty() || auth.isEmpty() || priv.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SnmpTarget(host, port, version, Optional.empty(), Optional.of(user.get().text().strip()),
                auth, priv, engineId));
    }

    /** A USM passphrase in a file (checked like a key file: mode 0600, trusted owner), at least 8 characters. */
    private Optional<SnmpTarget.Passphrase> passphraseFile(Node.Mapping t, String field) {
        Optional<Node.Scalar> s = scalar(t, field);
        if (s.isEmpty()) {
            if (t.field(field).isEmpty()) {
                missing(t, field, "/etc/sitelink/snmp-" + field.substring(0, 4) + " (umask 077; a passphrase of 8 or "
                        + "more characters on one line)", "events snmp (version 3, authPriv)");
            }
            return Optional.empty();
        }
        Path path = baseDir.resolve(s.get().text().strip());
        String label = "events snmp " + field;
        if (!Files.exists(path)) {
            error(s.get().location(), label + " " + path + " does not exist; create it with: umask 077; "
                    + "printf '%s\\n' 'PASSPHRASE' > " + path);
            return Optional.empty();
        }
        keyFiles.add(new SiteFile.KeyFile(label, path, s.get().location()));
        byte[] raw;
        try {
            raw = Files.readAllBytes(path);
        } catch (IOException ex) {
            error(s.get().location(), label + " " + path + " cannot be read (" + ex.getClass().getSimpleName()
                    + "); check that sitelink runs as root or as the file's owner");
            return Optional.empty();
        }
        int end = raw.length;
        while (end > 0 && (raw[end - 1] == '\n' || raw[end - 1] == '\r')) {
            end--;
        }
        byte[] pass = java.util.Arrays.copyOf(raw, end);
        java.util.Arrays.fill(raw, (byte) 0);
        try {
            if (new String(pass, StandardCharsets.UTF_8).codePointCount(0, new String(pass, StandardCharsets.UTF_8).length())
                    < SnmpTarget.MIN_PASSPHRASE) {
                error(s.get().location(), label + " " + path + " holds fewer than " + SnmpTarget.MIN_PASSPHRASE
                        + " characters; SNMPv3 (RFC 3414) needs at least 8, and a long random one is better");
                return Optional.empty();
            }
            return Optional.of(new SnmpTarget.Passphrase(pass));
        } finally {
            java.util.Arrays.fill(pass, (byte) 0);
        }
    }

    private static int portNumber(String t) {
        int p = Integer.parseInt(t);
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is out of range 1..65535");
        }
        return p;
    }

    /**
     * One entry of remote_sites: the fields every protocol shares, then those of its protocol ({@code protocol:},
     * WireGuard by default), added to {@code remotes} or {@code ikeSites} when it has no error. A field of the other
     * protocol is an error that names both, never silently ignored.
     */
    private Entry remoteSite(Node.Mapping r, List<LocatedPrefix> local, List<RemoteSite> remotes, List<IkeSite> ikeSites) {
        Optional<String> name = scalar(r, "name").flatMap(s -> siteName(s, "remote site name"));
        String what = "remote site " + name.orElse("at line " + r.location().line());
        if (r.field("name").isEmpty()) {
            missing(r, "name", "office-b", what);
        }
        Optional<Protocol> protocol = protocol(r);
        boolean ike = protocol.equals(Optional.of(Protocol.IKEV2));
        // A misspelling is matched against every field; the list shows only those of the site's protocol.
        List<String> listed = REMOTE_FIELDS.stream().filter(f -> ike ? !IkeSiteFields.WIREGUARD_ONLY.contains(f)
                : !IkeSiteFields.FIELDS.contains(f) || f.equals("post_quantum")).toList();
        for (Node.Field f : r.fields()) {
            if (!REMOTE_FIELDS.contains(f.key())) {
                error(f.keyLocation(), Suggest.unknownField(f.label(), REMOTE_FIELDS, listed, what));
            }
        }
        // Its syntax depends on the protocol (IKE's port may be left out): not judged when the protocol is unknown.
        Optional<Endpoint> endpoint = protocol.isEmpty() ? Optional.empty() : scalar(r, "endpoint").flatMap(s -> ike
                ? IkeSiteFields.endpoint(this, s, label(r, "endpoint")) : endpoint(s, label(r, "endpoint")));
        List<LocatedPrefix> subnets = subnets(r, "remote_subnets");
        if (r.field("remote_subnets").isEmpty() && !wgQuick) {
            missing(r, "remote_subnets", "[198.18.2.0/24]", what);
        }
        List<Rule> rules = new ArrayList<>();
        for (Node.Scalar s : scalars(r, "policy")) {
            try {
                rules.add(Rules.parse(s.text()));
            } catch (IllegalArgumentException e) {
                error(s.location(), "policy rule '" + s.text().strip() + "' is not valid: " + e.getMessage()
                        + "; write e.g. 'allow to tcp 198.18.2.10/32 port 443' (docs/policy.md)");
            }
        }
        Optional<Location> nameAt = name.map(n -> r.field("name").orElseThrow().value().location());
        Optional<Location> endpointAt = r.field("endpoint").map(f -> f.value().location());
        List<Prefix> prefixes = subnets.stream().map(LocatedPrefix::prefix).toList();
        List<LocatedPrefix> routeFromAt = routeFrom(r, local, what);
        List<Prefix> routeFrom = routeFromAt.stream().map(LocatedPrefix::prefix).toList();
        int dscp = scalar(r, "dscp").map(s -> s.text().equalsIgnoreCase("copy") ? sitelink.packet.OuterTos.COPY
                : number(s, label(r, "dscp"), 0, 63, "write copy (the inner packet's DSCP, the default) or a DSCP "
                        + "0..63, e.g. 46 for EF; 0 hides the class")).orElse(sitelink.packet.OuterTos.COPY);
        if (protocol.isEmpty()) {
            return new Entry(name, nameAt, Optional.empty(), Optional.empty(), endpoint, endpointAt, subnets, routeFromAt);
        }
        if (ike) {
            IkeSiteFields fields = new IkeSiteFields(this, baseDir);
            fields.refuseWireGuardFields(r, what);
            if (local.isEmpty() && r.field("remote_subnets").isPresent()) {
                error(r.field("remote_subnets").get().keyLocation(), what + " speaks IKEv2, whose traffic selectors are "
                        + "the site's local_subnets and the remote_subnets, but the site has no local_subnets; add "
                        + "local_subnets: with the subnets behind this gateway, e.g. [198.18.1.0/24]");
            }
            Optional<IkeSite> site = fields.read(r, what, name, endpoint, prefixes, rules, routeFrom, dscp);
            site.ifPresent(x -> {
                ikeSites.add(x);
                ikeNodes.put(x.name(), r);
            });
            return new Entry(name, nameAt, Optional.empty(), Optional.empty(), endpoint, endpointAt, subnets, routeFromAt);
        }
        new IkeSiteFields(this, baseDir).refuseIkeFields(r, what);
        Optional<Key> publicKey = scalar(r, "public_key").flatMap(s -> key(s, label(r, "public_key"), KeyKind.PUBLIC));
        if (r.field("public_key").isEmpty()) {
            missing(r, "public_key", "<the output of 'sitelink pubkey' on that site's private key>", what);
        }
        Optional<Key> psk = secret(r, "preshared_key", "preshared_key_file", KeyKind.PRESHARED, false, what);
        int keepalive = scalar(r, "persistent_keepalive").map(s -> s.text().equalsIgnoreCase("off") ? 0
                : number(s, label(r, "persistent_keepalive"), 0, 65535,
                        "give seconds 0..65535: 25 keeps most NAT mappings open, 0 turns keepalives off")).orElse(0);
        boolean postQuantum = scalar(r, "post_quantum").map(s -> switch (s.text().strip().toLowerCase(java.util.Locale.ROOT)) {
            case "on", "true", "yes" -> true; // YAML 1.1 reads on/off as booleans
            case "off", "false", "no" -> false;
            default -> {
                error(s.location(), label(r, "post_quantum") + " '" + s.text().strip() + "' is not known for a WireGuard "
                        + "site; write on (a post-quantum preshared key with the peer's sitelink, which must say on too) "
                        + "or off (the default)");
                yield false;
            }
        }).orElse(false);
        Optional<Location> keyAt = publicKey.map(k -> r.field("public_key").orElseThrow().value().location());
        if (name.isPresent() && publicKey.isPresent()) {
            remotes.add(new RemoteSite(name.get(), publicKey.get(), psk, endpoint, prefixes, keepalive, rules, routeFrom,
                    dscp, postQuantum));
        }
        return new Entry(name, nameAt, publicKey, keyAt, endpoint, endpointAt, subnets, routeFromAt);
    }

    /**
     * {@code route_from}: the local subnets whose traffic alone goes to this site. Each must lie within one of the
     * site's local subnets: the rule matches packets by source, and only the LAN behind this gateway is ours to route.
     */
    private List<LocatedPrefix> routeFrom(Node.Mapping r, List<LocatedPrefix> local, String what) {
        List<LocatedPrefix> from = subnets(r, "route_from");
        if (r.field("route_from").isPresent() && list(r, "route_from").isEmpty()) {
            error(r.field("route_from").get().keyLocation(), "route_from of " + what + " lists no subnet; name the "
                    + "local subnets whose traffic goes to this site, e.g. [198.18.1.128/25], or remove the line");
        }
        for (LocatedPrefix f : from) {
            boolean inside = local.stream().anyMatch(l -> l.prefix().contains(f.prefix().address())
                    && l.prefix().length() <= f.prefix().length());
            if (!inside) {
                String locals = local.isEmpty() ? "the site has none"
                        : String.join(", ", local.stream().map(l -> l.prefix().toString()).toList());
                error(f.at(), "route_from " + f.prefix() + " of " + what + " is not within the site's local_subnets ("
                        + locals + "): only traffic from the LAN behind this gateway can be routed by its source; "
                        + "write a local subnet or a part of one");
            }
        }
        return from;
    }

    /** {@code protocol:} of a remote site; WireGuard when absent, empty (with an error) when not a protocol we speak. */
    private Optional<Protocol> protocol(Node.Mapping r) {
        Optional<Node.Scalar> s = scalar(r, "protocol");
        if (r.field("protocol").isPresent() && s.isEmpty()) {
            return Optional.empty();
        }
        if (s.isEmpty()) {
            return Optional.of(Protocol.WIREGUARD);
        }
        String w = s.get().text().strip().toLowerCase(java.util.Locale.ROOT);
        switch (w) {
            case "wireguard", "wg" -> {
                return Optional.of(Protocol.WIREGUARD);
            }
            case "ikev2" -> {
                if (ikeAt.isEmpty()) {
                    ikeAt = Optional.of(s.get().location());
                }
                return Optional.of(Protocol.IKEV2);
            }
            case "ikev1", "ike1" -> error(s.get().location(), "protocol '" + w + "': IKEv1 is not supported (RFC 7296 "
                    + "replaced it); configure the other gateway for IKEv2 and write protocol: ikev2");
            case "ike", "ipsec", "ike2", "esp" -> error(s.get().location(), "protocol '" + w + "' is not a protocol "
                    + "name sitelink knows; write protocol: ikev2 (IKEv2 with ESP, the IPsec of today's gateways)");
            default -> error(s.get().location(), "protocol '" + s.get().text().strip() + "' is not known; write "
                    + "wireguard (the default) or ikev2");
        }
        return Optional.empty();
    }

    private TunnelInterface tunnel(Node.Mapping t, List<LocatedPrefix> local, List<List<LocatedPrefix>> remote) {
        unknownFields(t, TUNNEL_FIELDS, "tunnel");
        String name = "";
        Optional<Node.Scalar> nameNode = scalar(t, "name");
        if (nameNode.isPresent()) {
            name = nameNode.get().text();
            if (!IFNAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
                error(nameNode.get().location(), "interface name '" + name + "' is not a Linux interface name (1..15 "
                        + "letters, digits or _=+.-)" + (wgQuick ? "; rename the .conf file, whose name wg-quick uses" : "; choose one such as sl-office-b"));
            }
        } else {
            missing(t, "name", "sl-office-b", "tunnel");
        }
        List<InterfaceAddress> addresses = new ArrayList<>();
        for (Node.Scalar s : scalars(t, "addresses")) {
            try {
                InterfaceAddress a = InterfaceAddress.parse(s.text());
                addresses.add(a);
                noteIpv6(!a.isIpv4(), s.text().strip(), s.location());
            } catch (IllegalArgumentException e) {
                error(s.location(), "'" + s.text() + "' is not an interface address (" + e.getMessage()
                        + "); write ADDRESS/LENGTH, e.g. 198.19.0.1/30");
            }
        }
        local.forEach(p -> noteIpv6(!p.prefix().isIpv4(), p.prefix().toString(), p.at()));
        remote.forEach(l -> l.forEach(p -> noteIpv6(!p.prefix().isIpv4(), p.prefix().toString(), p.at())));
        int mtu = TunnelInterface.DEFAULT_MTU;
        Optional<Node.Scalar> mtuNode = scalar(t, "mtu");
        if (mtuNode.isPresent()) {
            // RFC 8200 section 5: IPv6 needs every link to carry 1280 bytes; RFC 791 lets IPv4 hosts assume 576.
            int min = sawIpv6 ? 1280 : 576;
            String why = sawIpv6 ? "; the tunnel carries IPv6 (" + firstIpv6 + "), which needs at least 1280" : "";
            mtu = number(mtuNode.get(), label(t, "mtu"), min, 9000, "use " + min + "..9000" + why + " (1420 suits a 1500-byte link)");
        }
        long table = TunnelInterface.MAIN_TABLE;
        Optional<Node.Scalar> tableNode = scalar(t, "route_table");
        if (tableNode.isPresent()) {
            String v = tableNode.get().text().strip();
            if (v.equalsIgnoreCase("main") || v.equalsIgnoreCase("auto")) {
                table = TunnelInterface.MAIN_TABLE;
            } else if (v.equalsIgnoreCase("off")) {
                table = TunnelInterface.NO_ROUTES;
            } else {
                table = numberLong(tableNode.get(), label(t, "route_table"), 1, 0xffffffffL,
                        "use main (or auto), off, or a table number 1..4294967295");
            }
        }
        boolean clamp = scalar(t, "mss_clamp").map(s -> {
            String v = s.text().strip().toLowerCase(java.util.Locale.ROOT);
            if (!v.equals("true") && !v.equals("false") && !v.equals("on") && !v.equals("off")) {
                error(s.location(), "mss_clamp is '" + s.text() + "'; write true (the default) or false");
            }
            return !v.equals("false") && !v.equals("off");
        }).orElse(true);
        return new TunnelInterface(name, addresses, mtu, table, clamp);
    }

    private void noteIpv6(boolean v6, String what, Location at) {
        if (v6 && !sawIpv6) {
            sawIpv6 = true;
            firstIpv6 = what + " at line " + at.line();
        }
    }

    private static <T> boolean repeats(List<T> values) {
        return new java.util.HashSet<>(values).size() < values.size();
    }

    /**
     * True if any two of the prefixes share an address. Sorted by family, network and length, a prefix that contains
     * a later one contains every prefix between them, so some neighbouring pair overlaps whenever any pair does.
     */
    static boolean anyOverlap(List<Prefix> prefixes) {
        List<Prefix> sorted = new ArrayList<>(prefixes);
        sorted.sort(java.util.Comparator.comparing((Prefix p) -> p.isIpv4() ? 0 : 1)
                .thenComparing(p -> p.address().getAddress(), java.util.Arrays::compareUnsigned)
                .thenComparingInt(Prefix::length));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i - 1).overlaps(sorted.get(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * IKEv2 sites without an endpoint answer anyone: the first of them answers every IKE_SA_INIT from an address no
     * site names, and the ID the initiator presents in IKE_AUTH then picks its site (docs/ikev2.md). With two or more,
     * each needs a remote_id of its own, and they must answer IKE_SA_INIT alike: the same ike_proposals, the same kind
     * of authentication (a certificate request goes out only when the first uses certificates).
     */
    private void answeringIkeSites(List<IkeSite> ikeSites) {
        List<IkeSite> answering = ikeSites.stream().filter(x -> x.endpoint().isEmpty()).toList();
        if (answering.size() < 2) {
            return;
        }
        String names = answering.stream().map(IkeSite::name).collect(java.util.stream.Collectors.joining(", "));
        IkeSite first = answering.get(0);
        for (int i = 0; i < answering.size(); i++) {
            IkeSite x = answering.get(i);
            Node.Mapping r = ikeNodes.get(x.name());
            Location nameAt = r.field("name").map(f -> f.value().location()).orElse(r.location());
            if (x.remoteId().isEmpty()) {
                error(nameAt, "remote site " + x.name() + " needs a remote_id: the IKEv2 sites without an endpoint ("
                        + names + ") answer any address, and the ID a peer presents picks its site; write the ID its "
                        + "gateway sends, e.g. remote_id: " + x.name() + ".example.org (strongSwan: local { id = ... })");
            }
            for (int j = 0; j < i && x.remoteId().isPresent(); j++) {
                IkeSite o = answering.get(j);
                if (o.remoteId().isPresent() && o.remoteId().get().sameAs(x.remoteId().get())) {
                    error(r.field("remote_id").map(f -> f.value().location()).orElse(nameAt), "remote_id "
                            + x.remoteId().get() + " of " + x.name() + " is also that of " + o.name() + " (line "
                            + ikeNodes.get(o.name()).field("remote_id").map(f -> f.value().location().line()).orElse(0)
                            + "); sites without an endpoint are told apart by the ID their peer presents: give each its own");
                }
            }
            if (i == 0) {
                continue;
            }
            if (!x.ikeProposals().toString().equals(first.ikeProposals().toString())) {
                error(r.field("ike_proposals").map(f -> f.value().location()).orElse(nameAt), "remote site " + x.name()
                        + " has no endpoint, as " + first.name() + ", which answers IKE_SA_INIT for both before the peer "
                        + "says who it is: give them the same ike_proposals (and post_quantum, profile) ("
                        + first.name() + ": " + first.ikeProposals() + ", " + x.name() + ": " + x.ikeProposals() + ")");
            }
            if (x.auth().getClass() != first.auth().getClass()) {
                error(r.field("auth").map(f -> f.value().location()).orElse(nameAt), "remote site " + x.name()
                        + " authenticates with " + authKind(x) + " and " + first.name() + " with " + authKind(first)
                        + "; sites without an endpoint must authenticate alike, as " + first.name() + " answers IKE_SA_INIT "
                        + "for both (with certificates it asks the peer for its certificate there); give one an endpoint, "
                        + "or use the same auth");
            }
        }
    }

    private static String authKind(IkeSite s) {
        return s.auth() instanceof IkeAuth.Cert ? "certificates" : "a pre-shared key";
    }

    private void crossChecks(Optional<String> siteName, Optional<Key> privateKey, List<LocatedPrefix> local,
                             List<Entry> entries, long routeTable) {
        Optional<Key> ownPublic = privateKey.map(X25519::publicKey);
        String keyLabel = wgQuick ? "PublicKey" : "public_key";
        // A hub has a thousand remote sites: the pairwise checks below (which word each problem by the pair) run only
        // when a set or a sort finds that some pair is a problem at all, so a good file is checked in O(n log n).
        boolean repeatedNameOrKey = repeats(entries.stream().map(Entry::name).flatMap(Optional::stream).toList())
                || repeats(entries.stream().map(Entry::publicKey).flatMap(Optional::stream).toList());
        boolean remoteOverlap = anyOverlap(entries.stream().flatMap(e -> e.subnets().stream()).map(LocatedPrefix::prefix)
                .toList());
        List<Entry> withLiteralEndpoint = entries.stream()
                .filter(e -> e.name().isPresent() && e.endpoint().flatMap(Endpoint::literalAddress).isPresent()).toList();
        for (int i = 0; i < entries.size(); i++) {
            Entry r = entries.get(i);
            if (r.name().isEmpty()) {
                continue;
            }
            String name = r.name().get();
            if (ownPublic.isPresent() && r.publicKey().equals(ownPublic)) {
                // A peer with our own key would make us handshake with ourselves: nothing ever reaches the other site.
                error(r.keyAt().orElseThrow(), keyLabel + " of " + name + " is this site's own public key (derived from "
                        + (wgQuick ? "PrivateKey" : "the private key") + "); use " + name
                        + "'s public key: run 'sitelink pubkey' on " + name + "'s private key");
            }
            if (siteName.equals(r.name())) {
                error(r.nameAt().orElseThrow(), "remote site name '" + name + "' is this site's own name; give each site its own name");
            }
            for (int j = 0; repeatedNameOrKey && j < i; j++) {
                Entry o = entries.get(j);
                if (o.name().equals(r.name())) {
                    error(r.nameAt().orElseThrow(), "remote site name '" + name + "' is already used at line "
                            + o.nameAt().orElseThrow().line() + "; give each site its own name");
                }
                if (o.publicKey().isPresent() && o.publicKey().equals(r.publicKey())) {
                    error(r.keyAt().orElseThrow(), keyLabel + " of " + name + " is the same as that of "
                            + o.name().orElse("another remote site") + " (line " + o.keyAt().orElseThrow().line()
                            + "); each site has its own key pair: one of the two is wrong");
                }
            }
        }
        for (int i = 0; i < entries.size(); i++) {
            String who = entries.get(i).name().orElse("a remote site");
            // A source-routed site's routes live in its own table, which sends the local subnets back to the main
            // table (throw routes): 0.0.0.0/0 there means "everything but the LAN", so it may overlap them.
            boolean sourceRouted = !entries.get(i).routeFrom().isEmpty();
            if (sourceRouted && routeTable == TunnelInterface.NO_ROUTES) {
                error(entries.get(i).routeFrom().getFirst().at(), "route_from of " + who + " needs the gateway's "
                        + "routes, but route_table is off: set route_table: main, or route by source yourself and "
                        + "remove route_from");
            }
            for (LocatedPrefix rs : entries.get(i).subnets()) {
                for (LocatedPrefix ls : sourceRouted ? List.<LocatedPrefix>of() : local) {
                    if (rs.prefix().overlaps(ls.prefix())) {
                        String wide = rs.prefix().length() <= ls.prefix().length() ? "; or, to send only some local "
                                + "subnets' traffic for " + rs.prefix() + " to " + who + ", add route_from: with them"
                                : "";
                        error(rs.at(), "remote subnet " + rs.prefix() + " of " + who + " overlaps local subnet " + ls.prefix()
                                + " (line " + ls.at().line() + "); traffic for those addresses would go into the tunnel "
                                + "instead of the LAN: make the subnets disjoint" + wide);
                    }
                }
                for (int j = 0; remoteOverlap && j < i; j++) {
                    for (LocatedPrefix os : entries.get(j).subnets()) {
                        if (rs.prefix().overlaps(os.prefix())) {
                            String other = entries.get(j).name().orElse("another remote site");
                            error(rs.at(), "remote subnet " + rs.prefix() + " of " + who + " overlaps remote subnet "
                                    + os.prefix() + " of " + other + " (line " + os.at().line() + "); an address can "
                                    + "belong to one remote site only: make the subnets disjoint");
                        }
                    }
                }
                if (routeTable == TunnelInterface.NO_ROUTES || sourceRouted) {
                    // we install no routes, or only for traffic from the LAN (never the gateway's own): no loop
                    continue;
                }
                for (Entry e : withLiteralEndpoint) {
                    Optional<InetAddress> ep = e.endpoint().flatMap(Endpoint::literalAddress);
                    if (ep.isPresent() && rs.prefix().contains(ep.get())) {
                        String host = ep.get().getHostAddress();
                        error(rs.at(), "remote subnet " + rs.prefix() + " of " + who + " contains " + host
                                + ", the endpoint of " + e.name().get() + " (line " + e.endpointAt().orElseThrow().line()
                                + "): the tunnel's own packets would be routed into the tunnel (a routing loop); "
                                + "narrow the subnet so that it leaves " + host + " out");
                    }
                }
            }
        }
    }

    // ---- field helpers ----

    void unknownFields(Node.Mapping m, List<String> known, String where) {
        for (Node.Field f : m.fields()) {
            if (!known.contains(f.key())) {
                error(f.keyLocation(), Suggest.unknownField(f.label(), known, where));
            }
        }
    }

    String label(Node.Mapping m, String key) {
        return m.field(key).map(Node.Field::label).orElse(key);
    }

    void missing(Node.Mapping m, String key, String example, String where) {
        String label = wgQuick ? WG_LABELS.getOrDefault(key, key) : key;
        String sample = wgQuick ? label + " = " + example : label + ": " + example;
        error(m.location(), where + " has no " + label + "; add one, e.g. " + sample);
    }

    Optional<Node.Scalar> scalar(Node.Mapping m, String key) {
        Optional<Node.Field> f = m.field(key);
        if (f.isEmpty()) {
            return Optional.empty();
        }
        if (f.get().value() instanceof Node.Scalar s) {
            if (s.isNull() || s.text().isBlank()) {
                error(s.location(), f.get().label() + " is empty; give it a value or remove the line");
                return Optional.empty();
            }
            return Optional.of(s);
        }
        // YAML reads an unquoted [2001:db8::2]:51820 as a list; say how to write it rather than only what it is.
        String hint = key.equals("endpoint") && !wgQuick ? "; write an IPv6 endpoint in quotes: \"[2001:db8::2]:51820\"" : "";
        error(f.get().value().location(), f.get().label() + " should be a single value, not " + f.get().value().kind() + hint);
        return Optional.empty();
    }

    private Optional<Node.Mapping> mapping(Node.Mapping m, String key) {
        Optional<Node.Field> f = m.field(key);
        if (f.isPresent() && !(f.get().value() instanceof Node.Mapping)) {
            error(f.get().value().location(), f.get().label() + " should be a mapping of fields, not " + f.get().value().kind());
            return Optional.empty();
        }
        return f.map(x -> (Node.Mapping) x.value());
    }

    /** A list field; a single value is taken as a list of one, as people write "addresses: 198.19.0.1/30". */
    List<Node> list(Node.Mapping m, String key) {
        Optional<Node.Field> f = m.field(key);
        if (f.isEmpty()) {
            return List.of();
        }
        return switch (f.get().value()) {
            case Node.Sequence s -> s.items();
            case Node.Scalar s when s.isNull() -> List.of();
            case Node.Scalar s -> List.of(s);
            case Node.Mapping x -> {
                error(x.location(), f.get().label() + " should be a list, not " + x.kind());
                yield List.of();
            }
        };
    }

    List<Node.Scalar> scalars(Node.Mapping m, String key) {
        List<Node.Scalar> out = new ArrayList<>();
        for (Node n : list(m, key)) {
            if (n instanceof Node.Scalar s && !s.isNull()) {
                out.add(s);
            } else {
                error(n.location(), "each entry of " + label(m, key) + " should be a single value, not " + n.kind());
            }
        }
        return out;
    }

    private List<LocatedPrefix> subnets(Node.Mapping m, String key) {
        List<LocatedPrefix> out = new ArrayList<>();
        for (Node.Scalar s : scalars(m, key)) {
            try {
                Prefix p = Prefix.parse(s.text());
                out.add(new LocatedPrefix(p, s.location()));
                String t = s.text().strip();
                if (t.contains("/") && !Prefix.parseAddress(t.substring(0, t.indexOf('/'))).equals(p.address())) {
                    problems.add(ConfigProblem.warning(s.location(), t + " has host bits set, so it means " + p + "; write " + p));
                }
            } catch (IllegalArgumentException e) {
                error(s.location(), "'" + s.text() + "' is not a subnet (" + e.getMessage()
                        + "); write ADDRESS/LENGTH, e.g. 198.18.1.0/24 or 2001:db8:1::/64");
            }
        }
        return out;
    }

    private Optional<String> siteName(Node.Scalar s, String what) {
        if (SITE_NAME.matcher(s.text()).matches()) {
            return Optional.of(s.text());
        }
        error(s.location(), what + " '" + s.text() + "' may hold only letters, digits, '.', '_' and '-' (at most 63, "
                + "starting with a letter or digit); e.g. office-a");
        return Optional.empty();
    }

    private int number(Node.Scalar s, String label, int min, int max, String fix) {
        return (int) numberLong(s, label, min, max, fix);
    }

    private long numberLong(Node.Scalar s, String label, long min, long max, String fix) {
        String t = s.text().strip();
        try {
            long v = t.startsWith("0x") || t.startsWith("0X") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
            if (v >= min && v <= max) {
                return v;
            }
            error(s.location(), label + " " + t + " is out of range; " + fix);
        } catch (NumberFormatException e) {
            error(s.location(), label + " '" + t + "' is not a number; " + fix);
        }
        return min;
    }

    Optional<Endpoint> endpoint(Node.Scalar s, String label) {
        try {
            return Optional.of(Endpoint.parse(s.text()));
        } catch (IllegalArgumentException e) {
            error(s.location(), label + " '" + s.text() + "' is not host:port (" + e.getMessage()
                    + "); e.g. 198.18.0.2:51820, [2001:db8::2]:51820 or gw.example.net:51820");
            return Optional.empty();
        }
    }

    /** A key given inline ({@code inlineKey}) or in a file ({@code fileKey}): exactly one of the two. */
    private Optional<Key> secret(Node.Mapping m, String inlineKey, String fileKey, KeyKind kind, boolean required, String where) {
        Optional<Node.Field> inline = m.field(inlineKey);
        Optional<Node.Field> file = m.field(fileKey);
        if (inline.isPresent() && file.isPresent()) {
            error(file.get().keyLocation(), "both " + inline.get().label() + " (line " + inline.get().keyLocation().line()
                    + ") and " + file.get().label() + " are given; keep one (a file keeps the key out of the site file)");
            return Optional.empty();
        }
        if (inline.isPresent()) {
            this.inlineKey = true;
            return scalar(m, inlineKey).flatMap(s -> key(s, inline.get().label(), kind));
        }
        if (file.isPresent()) {
            return scalar(m, fileKey).flatMap(s -> keyFile(s, file.get().label(), kind));
        }
        if (required) {
            missing(m, wgQuick ? inlineKey : fileKey, wgQuick ? "<output of 'sitelink genkey'>"
                    : "/etc/sitelink/office-a.key (create it with: umask 077; sitelink genkey > /etc/sitelink/office-a.key)", where);
        }
        return Optional.empty();
    }

    private Optional<Key> keyFile(Node.Scalar s, String label, KeyKind kind) {
        Path path = baseDir.resolve(s.text().strip());
        String p = path.toString();
        if (!Files.exists(path)) {
            String cmd = kind == KeyKind.PRESHARED ? "sitelink genpsk" : "sitelink genkey";
            error(s.location(), label + " " + p + " does not exist; create it with: umask 077; " + cmd + " > " + p);
            return Optional.empty();
        }
        keyFiles.add(new SiteFile.KeyFile(label, path, s.location()));
        String text;
        try {
            byte[] raw = Files.readAllBytes(path);
            text = new String(raw, StandardCharsets.US_ASCII);
            java.util.Arrays.fill(raw, (byte) 0);
        } catch (IOException e) {
            error(s.location(), label + " " + p + " cannot be read (" + e.getClass().getSimpleName()
                    + "); check that sitelink runs as root or as the file's owner");
            return Optional.empty();
        }
        Optional<String> bad = keyProblem(text.strip(), kind);
        if (bad.isPresent()) {
            error(s.location(), label + " " + p + " does not hold a valid key: its content " + bad.get());
            return Optional.empty();
        }
        return Optional.of(Key.fromBase64(text.strip()));
    }

    private Optional<Key> key(Node.Scalar s, String label, KeyKind kind) {
        String t = s.text().strip();
        Optional<String> bad = keyProblem(t, kind);
        if (bad.isPresent()) {
            error(s.location(), label + " " + bad.get());
            return Optional.empty();
        }
        return Optional.of(Key.fromBase64(t));
    }

    /** What is wrong with a key's text, phrased to follow its name; never quotes the text (it may be a secret). */
    private static Optional<String> keyProblem(String t, KeyKind kind) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(t);
        } catch (IllegalArgumentException e) {
            return Optional.of("is not valid base64 (a WireGuard key is 44 characters ending in '='); " + kind.hint);
        }
        if (raw.length != Key.LENGTH) {
            return Optional.of("is " + raw.length + " bytes long, but a WireGuard key is 32 bytes (44 base64 characters "
                    + "ending in '='); " + kind.hint);
        }
        java.util.Arrays.fill(raw, (byte) 0);
        if (t.length() != 44 || t.charAt(43) != '=') {
            return Optional.of("is not valid base64 (a WireGuard key is 44 characters ending in '='); " + kind.hint);
        }
        return Optional.empty();
    }

    void error(Location at, String message) {
        problems.add(ConfigProblem.error(at, message));
    }

    int errorCount() {
        return (int) problems.stream().filter(ConfigProblem::isError).count();
    }

    void warning(Location at, String message) {
        problems.add(ConfigProblem.warning(at, message));
    }

    /** A secret file the site names: {@link SystemChecks} checks its owner and mode (0600) before it is trusted. */
    void keyFile(String label, Path path, Location at) {
        keyFiles.add(new SiteFile.KeyFile(label, path, at));
    }
}
