package sitelink.plan;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import sitelink.config.ConfigProblem;
import sitelink.config.Endpoint;
import sitelink.config.Location;
import sitelink.config.Node;
import sitelink.config.SiteTree;
import sitelink.config.Suggest;
import sitelink.plan.Topology.HubPolicy;
import sitelink.plan.Topology.Role;
import sitelink.plan.Topology.Shape;
import sitelink.plan.Topology.Site;
import sitelink.route.Prefix;

/**
 * Reads a topology file (docs/scale.md) into a {@link Topology}, with every problem at its file:line:column as
 * {@code sitelink check} reports site files: first each field on its own, then the network as a whole
 * ({@link NetworkChecks}).
 */
public final class TopologyFile {
    static final List<String> TOP_FIELDS = List.of("network", "shape", "tunnel", "private_key_file",
            "persistent_keepalive", "sites", "hub_policy");
    static final List<String> TUNNEL_FIELDS = List.of("name", "mtu", "pool");
    static final List<String> SITE_FIELDS = List.of("name", "role", "subnets", "endpoint", "behind_nat", "listen_port",
            "public_key", "protocol", "hubs", "tunnel_address", "tunnel_name", "private_key_file");
    static final List<String> POLICY_FIELDS = List.of("spoke_to_spoke", "keep_apart", "may_talk");
    static final String DEFAULT_KEY_FILE = "/etc/sitelink/{name}.key";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_=+.-]{1,15}");

    /** The topology when there is no error, and every problem, in file order. */
    public record Result(Optional<Topology> topology, List<ConfigProblem> problems) {
        public List<ConfigProblem> errors() {
            return problems.stream().filter(ConfigProblem::isError).toList();
        }
    }

    private final List<ConfigProblem> problems = new ArrayList<>();
    /** Where each site's fields were written, for the network checks' messages. */
    final Map<Location, Map<String, Location>> fieldsAt = new HashMap<>();
    /** The network's tunnel interface, which a site may replace with its own tunnel_name. */
    private String tunnelName;
    /** Where the document and the tunnel pool start. */
    Location rootAt;
    Location poolAt;

    private TopologyFile() {
    }

    public static Result parse(String displayName, String text) {
        return parse(displayName, text, UnaryOperator.identity());
    }

    /**
     * Parses the topology and lets {@code live} replace each site (as {@code sitelink agent} puts in what a site
     * published in etcd) before the network checks, which then check the network as it will run.
     */
    public static Result parse(String displayName, String text, UnaryOperator<Site> live) {
        TopologyFile f = new TopologyFile();
        Optional<Topology> t = SiteTree.parseYaml(displayName, text, f.problems).flatMap(f::topology)
                .map(x -> new Topology(x.network(), x.shape(), x.tunnelName(), x.mtu(), x.pool(), x.keyFilePattern(),
                        x.keepalive(), x.sites().stream().map(live).toList(), x.hubPolicy()));
        if (t.isPresent() && f.problems.stream().noneMatch(ConfigProblem::isError)) {
            new NetworkChecks(t.get(), f, f.problems).run();
        }
        f.problems.sort(Comparator.comparing((ConfigProblem p) -> p.location().line())
                .thenComparing(p -> p.location().column()));
        boolean ok = f.problems.stream().noneMatch(ConfigProblem::isError);
        return new Result(ok ? t : Optional.empty(), List.copyOf(f.problems));
    }

    private Optional<Topology> topology(Node root) {
        if (!(root instanceof Node.Mapping m)) {
            error(root.location(), "a topology file is a mapping (network:, shape:, sites: ...), not " + root.kind()
                    + "; start from examples/topology-hybrid.yaml");
            return Optional.empty();
        }
        rootAt = m.location();
        unknownFields(m, TOP_FIELDS, "the topology");
        String network = scalar(m, "network").filter(s -> {
            if (NAME.matcher(s.text()).matches()) {
                return true;
            }
            error(s.location(), "network name '" + s.text() + "' may hold only letters, digits, '.', '_' and '-' (at "
                    + "most 63, starting with a letter or digit); e.g. acme");
            return false;
        }).map(Node.Scalar::text).orElse("network");
        Shape shape = Shape.HUB_AND_SPOKE;
        Optional<Node.Scalar> shapeText = scalar(m, "shape");
        if (shapeText.isEmpty()) {
            error(m.location(), "the topology has no shape; add one: shape: hub-and-spoke, mesh or hybrid");
        } else {
            shape = word(shapeText.get(), "shape", Shape.values(), Shape::word).orElse(shape);
        }
        tunnelName = "sl-net";
        int mtu = 1420;
        Optional<Prefix> pool = Optional.empty();
        Optional<Node.Mapping> tunnel = mapping(m, "tunnel");
        if (tunnel.isPresent()) {
            unknownFields(tunnel.get(), TUNNEL_FIELDS, "tunnel");
            tunnelName = scalar(tunnel.get(), "name").flatMap(this::interfaceName).orElse(tunnelName);
            mtu = scalar(tunnel.get(), "mtu").map(s -> number(s, "mtu", 576, 9000)).orElse(mtu);
            pool = scalar(tunnel.get(), "pool").flatMap(s -> prefix(s, "pool"));
            poolAt = tunnel.get().field("pool").map(f -> f.value().location()).orElse(null);
        }
        String keyPattern = scalar(m, "private_key_file").map(Node.Scalar::text).orElse(DEFAULT_KEY_FILE);
        int keepalive = scalar(m, "persistent_keepalive").map(s -> number(s, "persistent_keepalive", 1, 65535)).orElse(25);
        List<Site> sites = new ArrayList<>();
        Optional<Node.Field> sitesField = m.field("sites");
        if (sitesField.isEmpty()) {
            error(m.location(), "the topology has no sites; add a 'sites:' list (see examples/topology-hybrid.yaml)");
        }
        int i = 0;
        for (Node n : list(m, "sites")) {
            if (n instanceof Node.Mapping s) {
                site(s, shape, keyPattern, pool, i).ifPresent(sites::add);
            } else {
                error(n.location(), "each site is a mapping (name:, subnets:, ...), not " + n.kind());
            }
            i++;
        }
        HubPolicy policy = mapping(m, "hub_policy").map(this::hubPolicy).orElse(new HubPolicy(true, Set.of()));
        // With one hub, a spoke needs no 'hubs:' line: the only hub is its hub.
        List<Site> hubs = sites.stream().filter(s -> s.role() == Role.HUB).toList();
        if (hubs.size() == 1) {
            sites.replaceAll(s -> s.isSpoke() && s.hubs().isEmpty() ? new Site(s.name(), s.role(), s.subnets(),
                    s.endpoint(), s.listenPort(), s.publicKey(), List.of(hubs.getFirst().name()), s.tunnelAddress(),
                    s.privateKeyFile(), s.tunnelName(), s.at()) : s);
        }
        return Optional.of(new Topology(network, shape, tunnelName, mtu, pool, keyPattern, keepalive, sites, policy));
    }

    private Optional<Site> site(Node.Mapping m, Shape shape, String keyPattern, Optional<Prefix> pool, int position) {
        unknownFields(m, SITE_FIELDS, "a site");
        Optional<String> name = scalar(m, "name").flatMap(s -> {
            if (NAME.matcher(s.text()).matches()) {
                return Optional.of(s.text());
            }
            error(s.location(), "site name '" + s.text() + "' may hold only letters, digits, '.', '_' and '-' (at most "
                    + "63, starting with a letter or digit); e.g. branch-1");
            return Optional.empty();
        });
        if (m.field("name").isEmpty()) {
            error(m.location(), "a site has no name; add one, e.g. name: branch-1");
        }
        String where = "site " + name.orElse("#" + (position + 1));
        Map<String, Location> at = new HashMap<>();
        m.fields().forEach(f -> at.put(f.key(), f.value().location()));
        fieldsAt.put(m.location(), at);

        Role role = switch (shape) {
            case MESH -> Role.MESH;
            case HUB_AND_SPOKE -> Role.SPOKE;
            case HYBRID -> null;
        };
        Optional<Node.Scalar> roleText = scalar(m, "role");
        if (roleText.isPresent()) {
            role = word(roleText.get(), "role", Role.values(), Role::word).orElse(role);
        } else if (role == null) {
            error(m.location(), where + " has no role; a hybrid network needs one for each site: role: hub, mesh or spoke");
        }
        scalar(m, "protocol").ifPresent(p -> {
            String w = p.text().toLowerCase(Locale.ROOT);
            if (w.equals("ikev2")) {
                error(p.location(), "protocol ikev2: plan writes WireGuard sites only for now; use protocol: wireguard "
                        + "(or leave it out) and link IKEv2 gateways by hand (docs/ikev2.md)");
            } else if (!w.equals("wireguard")) {
                error(p.location(), "protocol '" + p.text() + "' is not known; use wireguard");
            }
        });
        List<Prefix> subnets = new ArrayList<>();
        for (Node.Scalar s : scalars(m, "subnets")) {
            prefix(s, "subnet").ifPresent(subnets::add);
        }
        if (m.field("subnets").isEmpty()) {
            error(m.location(), where + " has no subnets; add the subnets behind its gateway, e.g. subnets: [198.18.1.0/24]");
        }
        Optional<Endpoint> endpoint = scalar(m, "endpoint").flatMap(s -> {
            try {
                return Optional.of(Endpoint.parse(s.text()));
            } catch (IllegalArgumentException e) {
                error(s.location(), "endpoint '" + s.text() + "' is not host:port (" + e.getMessage()
                        + "); e.g. 203.0.113.1:51820");
                return Optional.empty();
            }
        });
        boolean nat = scalar(m, "behind_nat").map(s -> bool(s, "behind_nat")).orElse(false);
        if (nat && m.field("endpoint").isPresent()) {
            error(m.field("behind_nat").get().keyLocation(), where + " has both an endpoint and behind_nat: true; "
                    + "keep the endpoint if others can reach it there, otherwise remove the endpoint");
        } else if (!nat && m.field("endpoint").isEmpty()) {
            error(m.location(), where + " has neither an endpoint nor behind_nat: true; add endpoint: HOST:PORT where "
                    + "other sites reach it, or behind_nat: true if it can only dial out");
        }
        int listenPort = scalar(m, "listen_port").map(s -> number(s, "listen_port", 1, 65535))
                .orElse(endpoint.map(Endpoint::port).orElse(0));
        Optional<String> key = scalar(m, "public_key").flatMap(this::publicKey);
        if (m.field("public_key").isEmpty()) {
            error(m.location(), where + " has no public_key; add the output of 'sitelink pubkey < " + name.orElse("site")
                    + ".key' run on that site (its private key never leaves it)");
        }
        List<String> hubs = new ArrayList<>();
        for (Node.Scalar s : scalars(m, "hubs")) {
            hubs.add(s.text());
        }
        Optional<InetAddress> tunnelAddress = scalar(m, "tunnel_address").flatMap(s -> {
            try {
                return Optional.of(Prefix.parseAddress(s.text()));
            } catch (IllegalArgumentException e) {
                error(s.location(), "tunnel_address '" + s.text() + "' is not an IP address; e.g. 198.19.0.5");
                return Optional.empty();
            }
        });
        if (tunnelAddress.isEmpty() && m.field("tunnel_address").isEmpty() && pool.isPresent()) {
            tunnelAddress = NetworkChecks.poolAddress(pool.get(), position + 1);
        }
        String iface = scalar(m, "tunnel_name").flatMap(this::interfaceName).orElse(tunnelName);
        String keyFile = scalar(m, "private_key_file").map(Node.Scalar::text).orElse(keyPattern)
                .replace("{name}", name.orElse("site"));
        if (name.isEmpty() || role == null || key.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Site(name.get(), role, subnets, endpoint, listenPort, key.get(), hubs, tunnelAddress,
                keyFile, iface, m.location()));
    }

    private Optional<String> interfaceName(Node.Scalar n) {
        if (IFNAME.matcher(n.text()).matches()) {
            return Optional.of(n.text());
        }
        error(n.location(), "interface name '" + n.text() + "' is not a Linux interface name (1..15 letters, digits or "
                + "_=+.-); e.g. sl-net");
        return Optional.empty();
    }

    private HubPolicy hubPolicy(Node.Mapping m) {
        unknownFields(m, POLICY_FIELDS, "hub_policy");
        boolean talk = scalar(m, "spoke_to_spoke").flatMap(s -> switch (s.text()) {
            case "allow" -> Optional.of(true);
            case "deny" -> Optional.of(false);
            default -> {
                error(s.location(), "spoke_to_spoke '" + s.text() + "' is neither allow nor deny; write allow (spokes "
                        + "talk through their hubs, but for keep_apart) or deny (only may_talk pairs do)");
                yield Optional.empty();
            }
        }).orElse(true);
        String listed = talk ? "keep_apart" : "may_talk";
        String other = talk ? "may_talk" : "keep_apart";
        m.field(other).ifPresent(f -> error(f.keyLocation(), other + " has no meaning with spoke_to_spoke: "
                + (talk ? "allow" : "deny") + "; use " + listed + " (or set spoke_to_spoke: " + (talk ? "deny" : "allow") + ")"));
        Set<String> pairs = new LinkedHashSet<>();
        for (Node n : list(m, listed)) {
            List<Node.Scalar> two = n instanceof Node.Sequence s
                    ? s.items().stream().filter(x -> x instanceof Node.Scalar).map(x -> (Node.Scalar) x).toList() : List.of();
            if (two.size() != 2 || ((Node.Sequence) n).items().size() != 2) {
                error(n.location(), "each entry of " + listed + " is a pair of spokes, e.g. [branch-1, branch-2]");
                continue;
            }
            pairLocations.put(HubPolicy.key(two.get(0).text(), two.get(1).text()), n.location());
            pairNames.add(two);
            if (!pairs.add(HubPolicy.key(two.get(0).text(), two.get(1).text()))) {
                error(n.location(), "the pair " + two.get(0).text() + ", " + two.get(1).text() + " is listed twice in "
                        + listed + "; keep one");
            }
        }
        return new HubPolicy(talk, pairs);
    }

    /** The hub policy's pairs as written, for {@link NetworkChecks}. */
    final List<List<Node.Scalar>> pairNames = new ArrayList<>();
    final Map<String, Location> pairLocations = new HashMap<>();

    private Optional<String> publicKey(Node.Scalar s) {
        String t = s.text().strip();
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(t);
        } catch (IllegalArgumentException e) {
            raw = null;
        }
        if (raw == null || raw.length != 32 || t.length() != 44 || t.charAt(43) != '=') {
            error(s.location(), "public_key is not a WireGuard public key (44 base64 characters ending in '='); paste "
                    + "the output of 'sitelink pubkey < SITE.key' run on that site");
            return Optional.empty();
        }
        boolean zero = true;
        for (byte b : raw) {
            zero &= b == 0;
        }
        if (zero) {
            error(s.location(), "public_key is all zeros, which no WireGuard private key has; paste the output of "
                    + "'sitelink pubkey < SITE.key' run on that site");
            return Optional.empty();
        }
        return Optional.of(t);
    }

    // ---- field helpers (the same wording as the site file's) ----

    private void unknownFields(Node.Mapping m, List<String> known, String where) {
        for (Node.Field f : m.fields()) {
            if (!known.contains(f.key())) {
                error(f.keyLocation(), Suggest.unknownField(f.label(), known, where));
            }
        }
    }

    private Optional<Node.Scalar> scalar(Node.Mapping m, String key) {
        Optional<Node.Field> f = m.field(key);
        if (f.isEmpty()) {
            return Optional.empty();
        }
        if (f.get().value() instanceof Node.Scalar s && !s.isNull() && !s.text().isBlank()) {
            return Optional.of(s);
        }
        error(f.get().value().location(), key + (f.get().value() instanceof Node.Scalar ? " is empty; give it a value "
                + "or remove the line" : " should be a single value, not " + f.get().value().kind()));
        return Optional.empty();
    }

    private Optional<Node.Mapping> mapping(Node.Mapping m, String key) {
        Optional<Node.Field> f = m.field(key);
        if (f.isPresent() && !(f.get().value() instanceof Node.Mapping)) {
            error(f.get().value().location(), key + " should be a mapping of fields, not " + f.get().value().kind());
            return Optional.empty();
        }
        return f.map(x -> (Node.Mapping) x.value());
    }

    private List<Node> list(Node.Mapping m, String key) {
        return switch (m.field(key).map(Node.Field::value).orElse(null)) {
            case null -> List.of();
            case Node.Sequence s -> s.items();
            case Node.Scalar s when s.isNull() -> List.of();
            case Node.Scalar s -> List.of(s);
            case Node.Mapping x -> {
                error(x.location(), key + " should be a list, not " + x.kind());
                yield List.of();
            }
        };
    }

    private List<Node.Scalar> scalars(Node.Mapping m, String key) {
        List<Node.Scalar> out = new ArrayList<>();
        for (Node n : list(m, key)) {
            if (n instanceof Node.Scalar s && !s.isNull()) {
                out.add(s);
            } else {
                error(n.location(), "each entry of " + key + " should be a single value, not " + n.kind());
            }
        }
        return out;
    }

    private Optional<Prefix> prefix(Node.Scalar s, String what) {
        try {
            return Optional.of(Prefix.parse(s.text()));
        } catch (IllegalArgumentException e) {
            error(s.location(), "'" + s.text() + "' is not a " + what + " (" + e.getMessage()
                    + "); write ADDRESS/LENGTH, e.g. 198.18.1.0/24");
            return Optional.empty();
        }
    }

    private int number(Node.Scalar s, String label, int min, int max) {
        try {
            int v = Integer.parseInt(s.text().strip());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        error(s.location(), label + " '" + s.text() + "' is not a number in " + min + ".." + max);
        return min;
    }

    private boolean bool(Node.Scalar s, String label) {
        return switch (s.text()) {
            case "true" -> true;
            case "false" -> false;
            default -> {
                error(s.location(), label + " '" + s.text() + "' is neither true nor false");
                yield false;
            }
        };
    }

    private <T> Optional<T> word(Node.Scalar s, String label, T[] values, java.util.function.Function<T, String> word) {
        for (T v : values) {
            if (word.apply(v).equals(s.text())) {
                return Optional.of(v);
            }
        }
        List<String> words = java.util.Arrays.stream(values).map(word).toList();
        error(s.location(), label + " '" + s.text() + "' is not one of " + String.join(", ", words)
                + Suggest.closest(s.text(), words).map(w -> "; did you mean '" + w + "'?").orElse(""));
        return Optional.empty();
    }

    private void error(Location at, String message) {
        problems.add(ConfigProblem.error(at, message));
    }
}
