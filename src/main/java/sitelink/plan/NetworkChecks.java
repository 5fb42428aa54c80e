package sitelink.plan;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import sitelink.config.ConfigProblem;
import sitelink.config.Location;
import sitelink.config.Node;
import sitelink.plan.Topology.Role;
import sitelink.plan.Topology.Shape;
import sitelink.plan.Topology.Site;
import sitelink.route.Prefix;

/**
 * The checks of a topology as a whole, once each field reads well on its own: names, roles and hubs, the address
 * plan (site subnets and tunnel addresses), keys, NAT, the hub policy's pairs, and finally that every pair of sites
 * can reach each other along the routes {@link Routing} gives them.
 */
final class NetworkChecks {
    private final Topology t;
    private final TopologyFile file;
    private final List<ConfigProblem> problems;

    NetworkChecks(Topology t, TopologyFile file, List<ConfigProblem> problems) {
        this.t = t;
        this.file = file;
        this.problems = problems;
    }

    void run() {
        int before = errors();
        names();
        roles();
        addressPlan();
        keys();
        nat();
        hubPolicy();
        if (errors() == before) {
            // Only a network whose parts are right can be walked; otherwise the walk repeats what is reported above.
            Routing r = new Routing(t.sites());
            for (String u : r.unreachable()) {
                error(file.rootAt, "unreachable: " + u + "; give each spoke a hub and each hub a link to "
                        + "the others (this is a bug in plan if the topology is otherwise right: please report it)");
            }
        }
    }

    private void names() {
        if (t.sites().size() < 2) {
            error(file.rootAt,
                    "a network needs at least two sites; add the sites it links");
        }
        Map<String, Site> seen = new HashMap<>();
        for (Site s : t.sites()) {
            Site first = seen.putIfAbsent(s.name(), s);
            if (first != null) {
                error(at(s, "name"), "site name '" + s.name() + "' is already used at line " + first.at().line()
                        + "; give each site its own name");
            }
        }
    }

    private void roles() {
        long hubs = t.sites().stream().filter(s -> s.role() == Role.HUB).count();
        for (Site s : t.sites()) {
            switch (t.shape()) {
                case MESH -> {
                    if (s.role() != Role.MESH) {
                        error(at(s, "role"), "site " + s.name() + " is a " + s.role().word() + " in a mesh, where every "
                                + "site links to every other; remove the role, or use shape: hybrid");
                    }
                }
                case HUB_AND_SPOKE -> {
                    if (s.role() == Role.MESH) {
                        error(at(s, "role"), "site " + s.name() + " is a mesh member in a hub-and-spoke network; make it "
                                + "a hub or a spoke, or use shape: hybrid for a mesh group with spokes");
                    }
                }
                case HYBRID -> {
                }
            }
            if (!s.isSpoke() && !s.hubs().isEmpty()) {
                error(at(s, "hubs"), "site " + s.name() + " is a " + s.role().word() + ", which links to every hub "
                        + "and mesh member by itself; only spokes name their hubs: remove 'hubs'");
            }
            if (s.isSpoke()) {
                spokeHubs(s, hubs);
            }
        }
        if (t.shape() != Shape.MESH && hubs == 0) {
            error(file.rootAt, "a " + t.shape().word()
                    + " network needs at least one hub; give a site role: hub");
        }
    }

    private void spokeHubs(Site s, long hubs) {
        if (s.hubs().isEmpty()) {
            if (hubs > 0) {
                error(s.at(), "spoke " + s.name() + " has no hub; add hubs: [" + String.join(", ", t.sites().stream()
                        .filter(h -> h.role() == Role.HUB).map(Site::name).toList()) + "] (one or more; the first "
                        + "carries its traffic to other sites)");
            }
            return;
        }
        for (int i = 0; i < s.hubs().size(); i++) {
            String h = s.hubs().get(i);
            Optional<Site> hub = t.site(h);
            if (hub.isEmpty()) {
                error(at(s, "hubs"), "hub '" + h + "' of spoke " + s.name() + " is not a site of this network");
            } else if (hub.get().role() != Role.HUB) {
                error(at(s, "hubs"), "'" + h + "' in the hubs of spoke " + s.name() + " is a " + hub.get().role().word()
                        + ", not a hub; give it role: hub or name a hub");
            } else if (s.hubs().indexOf(h) < i) {
                error(at(s, "hubs"), "hub " + h + " is listed twice for spoke " + s.name() + "; keep one");
            }
        }
    }

    private void addressPlan() {
        record Claim(Site site, Prefix prefix, String what) {
        }
        List<Claim> claims = new java.util.ArrayList<>();
        for (Site s : t.sites()) {
            s.subnets().forEach(p -> claims.add(new Claim(s, p, "subnet " + p + " of " + s.name())));
        }
        t.pool().ifPresent(p -> claims.add(new Claim(null, p, "the tunnel pool " + p)));
        for (int i = 0; i < claims.size(); i++) {
            for (int j = 0; j < i; j++) {
                Claim a = claims.get(j);
                Claim b = claims.get(i);
                if (a.prefix().overlaps(b.prefix())) {
                    Location where = b.site() == null ? file.poolAt : at(b.site(), "subnets");
                    error(where, b.what() + " overlaps " + a.what() + (a.site() == null ? "" : " (line "
                            + at(a.site(), "subnets").line() + ")") + "; every site needs its own addresses, or traffic "
                            + "for one goes to the other: renumber one");
                }
            }
        }
        Map<InetAddress, Site> taken = new HashMap<>();
        for (Site s : t.sites()) {
            if (s.tunnelAddress().isEmpty()) {
                if (t.pool().isPresent()) {
                    error(at(s, "name"), "the tunnel pool " + t.pool().get() + " has no address left for site "
                            + s.name() + "; use a larger pool");
                }
                continue;
            }
            InetAddress a = s.tunnelAddress().get();
            if (t.pool().isEmpty()) {
                error(at(s, "tunnel_address"), "site " + s.name() + " has a tunnel_address but the network has no "
                        + "tunnel pool; add tunnel: {pool: 198.19.0.0/24} or remove tunnel_address");
                continue;
            }
            Prefix pool = t.pool().get();
            if (!pool.contains(a)) {
                error(at(s, "tunnel_address"), "tunnel_address " + Prefix.formatAddress(a) + " of " + s.name()
                        + " is outside the tunnel pool " + pool + "; choose one inside it");
            } else if (pool.isIpv4() && pool.length() <= 30 && (a.equals(pool.address()) || a.equals(last(pool)))) {
                error(at(s, "tunnel_address"), "tunnel_address " + Prefix.formatAddress(a) + " of " + s.name()
                        + " is the pool's network or broadcast address; choose another");
            }
            Site first = taken.putIfAbsent(a, s);
            if (first != null) {
                error(at(s, "tunnel_address"), "tunnel address " + Prefix.formatAddress(a) + " of " + s.name()
                        + " is already " + first.name() + "'s (line " + first.at().line() + "); give each site its own"
                        + " (a site without tunnel_address gets the pool's address numbered by its place in the list)");
            }
        }
        for (Site s : t.sites()) {
            Optional<InetAddress> e = s.endpoint().flatMap(x -> x.literalAddress());
            for (Claim c : claims) {
                if (e.isPresent() && c.prefix().contains(e.get())) {
                    error(at(s, "endpoint"), "endpoint " + s.endpoint().get() + " of " + s.name() + " lies inside "
                            + c.what() + ", which is routed into the tunnel: the tunnel's own packets would loop; "
                            + "give the gateway a WAN address outside every site's subnets");
                }
            }
        }
    }

    private void keys() {
        Map<String, Site> seen = new HashMap<>();
        for (Site s : t.sites()) {
            Site first = seen.putIfAbsent(s.publicKey(), s);
            if (first != null) {
                error(at(s, "public_key"), "public_key of " + s.name() + " is the same as that of " + first.name()
                        + " (line " + first.at().line() + "); each site has its own key pair ('sitelink genkey' on "
                        + "each site)");
            }
        }
    }

    private void nat() {
        Routing r = new Routing(t.sites());
        for (int i = 0; i < t.sites().size(); i++) {
            for (int j = 0; j < i; j++) {
                Site a = t.sites().get(j);
                Site b = t.sites().get(i);
                if (a.behindNat() && b.behindNat() && r.linked(a, b)) {
                    error(at(b, "behind_nat"), b.name() + " and " + a.name() + " (line " + a.at().line() + ") are both "
                            + "behind NAT but link directly (" + link(a, b) + "), and neither can dial the other; give "
                            + "one of them an endpoint (a public address or a forwarded port)"
                            + (a.isSpoke() || b.isSpoke() ? "" : ", or make one a spoke of a hub with an endpoint"));
                }
            }
        }
    }

    private static String link(Site a, Site b) {
        return a.isSpoke() || b.isSpoke() ? "a spoke and its hub" : "both are hubs or mesh members";
    }

    private void hubPolicy() {
        String field = t.hubPolicy().spokesTalk() ? "keep_apart" : "may_talk";
        for (List<Node.Scalar> pair : file.pairNames) {
            for (Node.Scalar n : pair) {
                Optional<Site> s = t.site(n.text());
                if (s.isEmpty()) {
                    error(n.location(), field + " names '" + n.text() + "', which is not a site of this network");
                } else if (!s.get().isSpoke()) {
                    error(n.location(), field + " names " + n.text() + ", a " + s.get().role().word() + ": the hub "
                            + "policy decides only traffic between spokes, which passes a hub");
                }
            }
            if (pair.get(0).text().equals(pair.get(1).text())) {
                error(pair.get(1).location(), field + " pairs " + pair.get(0).text() + " with itself; name two spokes");
            }
        }
    }

    /** The {@code n}th address of {@code pool} (0 is the pool's own address), if the pool has that many. */
    static Optional<InetAddress> poolAddress(Prefix pool, int n) {
        int bits = pool.address().getAddress().length * 8;
        BigInteger size = BigInteger.ONE.shiftLeft(bits - pool.length());
        BigInteger index = BigInteger.valueOf(n);
        // IPv4 pools keep their broadcast address free; a /31 or /32 is too small to share.
        BigInteger usable = pool.isIpv4() ? size.subtract(BigInteger.ONE) : size;
        if (index.compareTo(usable) >= 0) {
            return Optional.empty();
        }
        return Optional.of(address(new BigInteger(1, pool.address().getAddress()).add(index), bits / 8));
    }

    private static InetAddress last(Prefix p) {
        int bits = p.address().getAddress().length * 8;
        BigInteger size = BigInteger.ONE.shiftLeft(bits - p.length());
        return address(new BigInteger(1, p.address().getAddress()).add(size).subtract(BigInteger.ONE), bits / 8);
    }

    private static InetAddress address(BigInteger v, int bytes) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[bytes];
        int n = Math.min(raw.length, bytes);
        System.arraycopy(raw, raw.length - n, out, bytes - n, n);
        try {
            return InetAddress.getByAddress(out);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private Location at(Site s, String field) {
        return file.fieldsAt.getOrDefault(s.at(), Map.of()).getOrDefault(field, s.at());
    }

    private int errors() {
        return (int) problems.stream().filter(ConfigProblem::isError).count();
    }

    private void error(Location at, String message) {
        problems.add(ConfigProblem.error(at, message));
    }
}
