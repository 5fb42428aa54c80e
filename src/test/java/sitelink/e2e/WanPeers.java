package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import sitelink.e2e.tools.ImpairmentRelay;
import sitelink.testbed.Proc;
import sitelink.testbed.Veth;
import sitelink.testbed.Namespace;

/**
 * Two gateways with a network between them: three namespaces A – middle – B. The middle is either
 * <ul>
 * <li>{@link #relayed}: an {@link ImpairmentRelay} (a lossy WAN). A 198.18.1.2 ↔ 198.18.1.1 [relay] 198.18.2.1 ↔
 * B 198.18.2.2. The middle does not forward IP, so the relay's UDP proxy is the only path: A's endpoint for B is
 * 198.18.1.1:51820, B's endpoint for A is 198.18.2.1:51820, and the relay passes each to the real peer.</li>
 * <li>{@link #natted}: a NAT router with nftables masquerade in front of A. A 198.18.3.2 ↔ 198.18.3.1 [nat]
 * 198.18.2.1 ↔ B 198.18.2.2. A knows B's endpoint; B learns A's (the NAT's public address and port) from A's
 * handshake, as behind a real NAT.</li>
 * </ul>
 * Tunnel addresses are {@link TwoPeers}'s: 198.19.0.1 (A) and 198.19.0.2 (B).
 */
public final class WanPeers implements AutoCloseable {
    public static final String A_OUTER = "198.18.1.2", RELAY_A_SIDE = "198.18.1.1", RELAY_B_SIDE = "198.18.2.1";
    public static final String B_OUTER = "198.18.2.2";
    public static final String NAT_INSIDE = "198.18.3.1", A_PRIVATE = "198.18.3.2", NAT_PUBLIC = "198.18.2.1";
    public static final int PORT = TwoPeers.PORT;

    /** What the relay does to each datagram (probabilities 0..1), reproducible from the seed. */
    public record Impairment(double loss, double reorder, double dup, double corrupt, double delayMs, long seed) {
        public static final Impairment NONE = new Impairment(0, 0, 0, 0, 0, 1);

        List<String> args() {
            return List.of("loss=" + loss, "reorder=" + reorder, "dup=" + dup, "corrupt=" + corrupt,
                    "delay_ms=" + delayMs, "seed=" + seed);
        }
    }

    /** The relay's counts for one direction ("a2b" or "b2a"), from its latest stats line. */
    public record RelayStats(Map<String, Long> counts) {
        public long get(String key) {
            return counts.getOrDefault(key, 0L);
        }
    }

    private static final Pattern STATS = Pattern.compile("^stats (a2b|b2a) (.*)$", Pattern.MULTILINE);

    private final Namespace nsA, mid, nsB;
    private WireGuardNode a, b;
    private Proc relay;

    private WanPeers(Namespace nsA, Namespace mid, Namespace nsB) {
        this.nsA = nsA;
        this.mid = mid;
        this.nsB = nsB;
    }

    private static WanPeers create(String midRole) {
        Namespace a = E2e.namespace("a");
        Namespace m = null;
        try {
            m = E2e.namespace(midRole);
            return new WanPeers(a, m, E2e.namespace("b"));
        } catch (RuntimeException | Error e) {
            if (m != null) m.close();
            a.close();
            throw e;
        }
    }

    /** A and B through the impairment relay; both know each other's endpoint (the relay's side facing them). */
    public static WanPeers relayed(WireGuardNode.Kind kindA, WireGuardNode.Kind kindB, Impairment impairment) {
        WanPeers w = create("relay");
        try {
            Veth.link(w.nsA, "wa", A_OUTER + "/24", w.mid, "wra", RELAY_A_SIDE + "/24");
            Veth.link(w.nsB, "wb", B_OUTER + "/24", w.mid, "wrb", RELAY_B_SIDE + "/24");
            List<String> args = new java.util.ArrayList<>(List.of("a_side=" + RELAY_A_SIDE + ":" + PORT,
                    "b_side=" + RELAY_B_SIDE + ":" + PORT, "a_peer=" + A_OUTER + ":" + PORT,
                    "b_peer=" + B_OUTER + ":" + PORT));
            args.addAll(impairment.args());
            w.relay = w.mid.start(E2e.java(ImpairmentRelay.class, args.toArray(String[]::new)));
            Proc relay = w.relay;
            E2e.await(java.time.Duration.ofSeconds(30), "the relay to start",
                    () -> relay.output().contains("relaying") || !relay.isAlive(), relay::tail);
            if (!relay.isAlive()) fail("relay exited\n" + relay.tail());
            w.startNodes(kindA, kindB, Optional.of(RELAY_A_SIDE + ":" + PORT), Optional.of(RELAY_B_SIDE + ":" + PORT));
            return w;
        } catch (RuntimeException | Error e) {
            w.close();
            throw e;
        }
    }

    /**
     * A behind a masquerading NAT whose UDP mappings expire after {@code udpTimeoutSeconds} (the conntrack sysctls of
     * the NAT's namespace only). B is a responder that learns A's public address from its packets.
     */
    public static WanPeers natted(WireGuardNode.Kind kindA, WireGuardNode.Kind kindB, int udpTimeoutSeconds) {
        E2e.require(E2e.onPath("nft").isPresent(), "the nft command (apt-get install nftables)");
        WanPeers w = create("nat");
        try {
            Veth.link(w.nsA, "wa", A_PRIVATE + "/24", w.mid, "wna", NAT_INSIDE + "/24");
            Veth.link(w.nsB, "wb", B_OUTER + "/24", w.mid, "wnb", NAT_PUBLIC + "/24");
            w.nsA.ip("route", "add", "default", "via", NAT_INSIDE);
            w.mid.execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            // A new address takes over the subnet route when the old one goes (the NAT "changes its public address").
            w.mid.execOk("sysctl", "-q", "-w", "net.ipv4.conf.all.promote_secondaries=1");
            w.mid.execOk("nft", "add table ip nat");
            w.mid.execOk("nft", "add chain ip nat post { type nat hook postrouting priority srcnat; }");
            w.mid.execOk("nft", "add rule ip nat post oifname wnb masquerade");
            // The conntrack sysctls exist once the NAT rule loaded nf_conntrack; they are per namespace.
            w.mid.execOk("sysctl", "-q", "-w", "net.netfilter.nf_conntrack_udp_timeout=" + udpTimeoutSeconds);
            w.mid.execOk("sysctl", "-q", "-w", "net.netfilter.nf_conntrack_udp_timeout_stream=" + udpTimeoutSeconds);
            w.startNodes(kindA, kindB, Optional.of(B_OUTER + ":" + PORT), Optional.empty());
            return w;
        } catch (RuntimeException | Error e) {
            w.close();
            throw e;
        }
    }

    private void startNodes(WireGuardNode.Kind kindA, WireGuardNode.Kind kindB, Optional<String> aEndpointForB,
                            Optional<String> bEndpointForA) {
        a = kindA.create().apply(nsA, E2e.uniqueName("swa"));
        b = kindB.create().apply(nsB, E2e.uniqueName("swb"));
        a.start();
        b.start();
        a.configure(PORT, b, TwoPeers.B_TUNNEL + "/32", aEndpointForB, TwoPeers.A_TUNNEL + "/24");
        b.configure(PORT, a, TwoPeers.A_TUNNEL + "/32", bEndpointForA, TwoPeers.B_TUNNEL + "/24");
    }

    /** The relay's latest counts for "a2b" or "b2a" (it prints them every second). */
    public RelayStats relayStats(String direction) {
        if (relay == null) throw new IllegalStateException("no relay in this topology");
        Map<String, Long> last = new HashMap<>();
        Matcher m = STATS.matcher(relay.output());
        while (m.find()) {
            if (!m.group(1).equals(direction)) continue;
            last = new HashMap<>();
            for (String kv : m.group(2).split(" ")) {
                int eq = kv.indexOf('=');
                last.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
            }
        }
        return new RelayStats(last);
    }

    /** Waits until the relay printed stats newer than now (it does every second), so they cover what happened. */
    public void awaitFreshRelayStats() {
        int lines = relay.lines().size();
        E2e.await(java.time.Duration.ofSeconds(5), "fresh relay stats", () -> relay.lines().size() >= lines + 4);
    }

    public Namespace nsA() {
        return nsA;
    }

    public Namespace middle() {
        return mid;
    }

    public Namespace nsB() {
        return nsB;
    }

    public WireGuardNode a() {
        return a;
    }

    public WireGuardNode b() {
        return b;
    }

    @Override
    public void close() {
        try {
            if (a != null) a.close();
            if (b != null) b.close();
            if (relay != null) relay.close();
        } finally {
            try {
                nsB.close();
            } finally {
                try {
                    mid.close();
                } finally {
                    nsA.close();
                }
            }
        }
    }
}
