package sitelink.plan;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import sitelink.config.Endpoint;
import sitelink.config.Location;
import sitelink.route.Prefix;

/**
 * A whole network as the topology file describes it (docs/scale.md): its sites, the shape that links them and the
 * hubs' policy. {@link TopologyFile} reads it; {@link Routing} decides who links to whom and what each link carries.
 *
 * @param network         a name for the network, shown in the generated files' header
 * @param shape           how the sites link
 * @param tunnelName      the tunnel interface of every site that does not name its own
 * @param mtu             its MTU
 * @param pool            tunnel addresses are drawn from it (site i gets the pool's (i+1)th address), if given
 * @param keyFilePattern  each site's private_key_file, {@code {name}} replaced by the site's name
 * @param keepalive       seconds between keepalives that a site behind NAT sends toward the sites it dials
 */
public record Topology(String network, Shape shape, String tunnelName, int mtu, Optional<Prefix> pool,
                       String keyFilePattern, int keepalive, List<Site> sites, HubPolicy hubPolicy) {
    public Topology {
        sites = List.copyOf(sites);
    }

    public enum Shape {
        HUB_AND_SPOKE("hub-and-spoke"), MESH("mesh"), HYBRID("hybrid");

        final String word;

        Shape(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    public enum Role {
        /** Links to every other hub (and, in a hybrid network, to the whole mesh group) and carries its spokes' traffic. */
        HUB,
        /** A member of the mesh group: links to every other member. */
        MESH,
        /** Links only to its hubs; reaches everything else through them. */
        SPOKE;

        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One site.
     *
     * @param endpoint      where others dial it; empty for a site behind NAT (it dials out and keeps the mapping open)
     * @param listenPort    the UDP port it listens on (0: the system picks, for a site that only dials out)
     * @param hubs          a spoke's hubs, the first its home hub (the one that carries its traffic to other sites)
     * @param tunnelAddress its address on the tunnel, when the network has tunnel addresses
     * @param tunnelName    its tunnel interface: the network's, unless the site names its own
     * @param at            where the site's entry starts, for messages about the site as a whole
     */
    public record Site(String name, Role role, List<Prefix> subnets, Optional<Endpoint> endpoint, int listenPort,
                       String publicKey, List<String> hubs, Optional<InetAddress> tunnelAddress, String privateKeyFile,
                       String tunnelName, Location at) {
        public Site {
            subnets = List.copyOf(subnets);
            hubs = List.copyOf(hubs);
        }

        public boolean behindNat() {
            return endpoint.isEmpty();
        }

        public boolean isSpoke() {
            return role == Role.SPOKE;
        }

        /** Everything routed to this site: its subnets and its tunnel address. */
        public List<Prefix> prefixes() {
            return tunnelAddress.map(a -> java.util.stream.Stream.concat(subnets.stream(),
                    java.util.stream.Stream.of(new Prefix(a, a.getAddress().length * 8))).toList()).orElse(subnets);
        }
    }

    /**
     * Which spoke pairs a hub lets talk: all but those kept apart ({@code spokesTalk}), or none but those listed.
     * Pairs are unordered: {@code pairs} holds "a|b" with a before b by name.
     */
    public record HubPolicy(boolean spokesTalk, Set<String> pairs) {
        public HubPolicy {
            pairs = Set.copyOf(pairs);
        }

        static String key(String a, String b) {
            return a.compareTo(b) < 0 ? a + "|" + b : b + "|" + a;
        }

        /** Whether traffic between spokes {@code a} and {@code b} may pass a hub. */
        public boolean mayTalk(String a, String b) {
            return spokesTalk != pairs.contains(key(a, b));
        }
    }

    public Optional<Site> site(String name) {
        return sites.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
