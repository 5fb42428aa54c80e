package sitelink.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.route.Prefix;

/**
 * {@code sitelink plan} on the three shapes (golden files in src/test/resources/plan/SHAPE/expected, the hybrid one
 * being PlanIT's network) and on the 12-site hybrid network of examples/topology-hybrid.yaml: its files are checked
 * here, route by route (PlanHybridIT runs a network of its shape on twelve gateways).
 */
class PlanTest {
    private static Plan plan(Path topology) {
        return Plan.load(topology);
    }

    @ParameterizedTest
    @ValueSource(strings = {"hub-and-spoke", "mesh", "hybrid"})
    void writesTheGoldenFiles(String shape) throws Exception {
        Path dir = Path.of("src/test/resources/plan", shape);
        Plan p = plan(dir.resolve("topology.yaml"));
        assertEquals(List.of(), p.problems());
        Set<String> expected;
        try (Stream<Path> s = Files.list(dir.resolve("expected"))) {
            expected = s.map(f -> f.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(expected, p.files().keySet().stream().map(n -> n + ".yaml").collect(Collectors.toCollection(TreeSet::new)));
        for (Map.Entry<String, String> e : p.files().entrySet()) {
            assertEquals(Files.readString(dir.resolve("expected").resolve(e.getKey() + ".yaml"), StandardCharsets.UTF_8),
                    e.getValue(), shape + "/" + e.getKey());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hub-and-spoke", "mesh", "hybrid"})
    void everyGeneratedFilePassesCheckAndEverySiteReachesEveryOther(String shape, @TempDir Path dir) throws Exception {
        Network n = Network.load(plan(Path.of("src/test/resources/plan", shape, "topology.yaml")), dir);
        for (String a : n.sites.keySet()) {
            for (String b : n.sites.keySet()) {
                if (!a.equals(b)) {
                    assertFalse(n.path(a, b).isEmpty());
                }
            }
        }
    }

    @Test
    void smallHubAndSpoke(@TempDir Path dir) throws Exception {
        Network n = Network.load(plan(Path.of("src/test/resources/plan/hub-and-spoke/topology.yaml")), dir);
        assertEquals(List.of("shop-1", "hq", "shop-3"), n.path("shop-1", "shop-3"));
        assertEquals(List.of("shop-2", "hq"), n.path("shop-2", "hq"));
        // shop-1 is behind NAT: it dials the hub and keeps the mapping open; the hub waits for it.
        assertEquals(25, n.sites.get("shop-1").remoteSite("hq").orElseThrow().persistentKeepalive());
        assertTrue(n.sites.get("hq").remoteSite("shop-1").orElseThrow().endpoint().isEmpty());
        assertEquals(0, n.sites.get("hq").remoteSite("shop-3").orElseThrow().persistentKeepalive());
        // shop-3 is reached on its endpoint's port (a forwarded one) and listens on its own.
        assertEquals(51000, n.sites.get("hq").remoteSite("shop-3").orElseThrow().endpoint().orElseThrow().port());
        assertEquals(51820, n.sites.get("shop-3").listenPort());
        // The hub keeps shop-1 and shop-2 apart: their entries have rules that leave each other out; shop-3 has none.
        SiteConfig hq = n.sites.get("hq");
        assertEquals(List.of(), hq.remoteSite("shop-3").orElseThrow().policy());
        String shop1 = rules(hq.remoteSite("shop-1").orElseThrow());
        assertTrue(shop1.contains("from any dst 198.18.13.0/24") && shop1.contains("to any src 198.18.13.0/24"), shop1);
        assertFalse(shop1.contains("198.18.12.0/24"), shop1);
        assertFalse(rules(hq.remoteSite("shop-2").orElseThrow()).contains("198.18.11.0/24"));
    }

    @Test
    void smallMesh(@TempDir Path dir) throws Exception {
        Network n = Network.load(plan(Path.of("src/test/resources/plan/mesh/topology.yaml")), dir);
        for (SiteConfig s : n.sites.values()) {
            assertEquals(2, s.remoteSites().size(), s.name());
            s.remoteSites().forEach(r -> assertTrue(r.policy().isEmpty()));
        }
        assertEquals(List.of("db-3", "db-2"), n.path("db-3", "db-2"));
        assertEquals(Set.of(Prefix.parse("198.18.2.0/24"), Prefix.parse("2001:db8:2::/64")),
                Set.copyOf(n.sites.get("db-1").remoteSite("db-2").orElseThrow().remoteSubnets()));
        assertEquals(15, n.sites.get("db-3").remoteSite("db-1").orElseThrow().persistentKeepalive());
    }

    @Test
    void smallHybrid(@TempDir Path dir) throws Exception {
        Network n = Network.load(plan(Path.of("src/test/resources/plan/hybrid/topology.yaml")), dir);
        assertEquals(List.of("hub-a", "hub-b"), n.path("hub-a", "hub-b"));
        assertEquals(List.of("spoke-1", "hub-a", "spoke-2"), n.path("spoke-1", "spoke-2"));
        assertEquals(List.of("spoke-1", "hub-a", "hub-b", "spoke-3"), n.path("spoke-1", "spoke-3"));
        assertEquals(List.of("spoke-3", "hub-b", "hub-a"), n.path("spoke-3", "hub-a"));
        // spoke-2 and spoke-3 are kept apart, at both hubs; spoke-1 is unrestricted.
        assertFalse(rules(n.sites.get("hub-a").remoteSite("spoke-2").orElseThrow()).contains("198.18.13.0/24"));
        assertFalse(rules(n.sites.get("hub-b").remoteSite("spoke-3").orElseThrow()).contains("198.18.12.0/24"));
        assertTrue(rules(n.sites.get("hub-b").remoteSite("spoke-3").orElseThrow()).contains("to any src 198.18.11.0/24"));
        assertEquals(List.of(), n.sites.get("hub-a").remoteSite("spoke-1").orElseThrow().policy());
    }

    /** The example the docs show: 12 sites, 3 in the mesh group (2 hubs), 9 spokes, one with two hubs each way. */
    @Test
    void twelveSiteHybridExample(@TempDir Path dir) throws Exception {
        Plan p = plan(Path.of("examples/topology-hybrid.yaml"));
        assertEquals(12, p.files().size());
        Network n = Network.load(p, dir);
        // Every site routes every other site's subnets and tunnel address exactly once (Network.path checks "once").
        for (SiteConfig s : n.sites.values()) {
            long routed = s.remoteSites().stream().mapToLong(r -> r.remoteSubnets().size()).sum();
            long others = n.sites.values().stream().filter(o -> o != s)
                    .mapToLong(o -> o.localSubnets().size() + o.tunnel().addresses().size()).sum();
            assertEquals(others, routed, s.name());
        }
        List<String> mesh = List.of("dc-east", "dc-west", "lab");
        for (String a : n.sites.keySet()) {
            for (String b : n.sites.keySet()) {
                if (a.equals(b)) {
                    continue;
                }
                List<String> path = n.path(a, b);
                if (mesh.contains(a) && mesh.contains(b)) {
                    assertEquals(List.of(a, b), path, "the mesh group links directly");
                } else {
                    assertTrue(path.size() >= 2 && path.size() <= 4, a + " -> " + b + ": " + path);
                    path.subList(1, path.size() - 1).forEach(hop -> assertTrue(hop.startsWith("dc-"), "through hubs: " + path));
                }
            }
        }
        assertEquals(List.of("dc-east"), names(n.sites.get("branch-1")));
        assertEquals(List.of("dc-east", "dc-west"), names(n.sites.get("branch-5")));
        assertEquals(List.of("dc-west", "lab", "branch-1", "branch-2", "branch-3", "branch-4", "branch-5", "branch-9"),
                names(n.sites.get("dc-east")));
        assertEquals(List.of("branch-1", "dc-east", "dc-west", "branch-7"), n.path("branch-1", "branch-7"));
        assertEquals(List.of("branch-6", "dc-west", "branch-5"), n.path("branch-6", "branch-5"), "the hub they share");
        assertEquals(List.of("branch-9", "dc-east", "branch-4"), n.path("branch-9", "branch-4"), "the hub they share");
        assertEquals(List.of("lab", "dc-west", "branch-8"), n.path("lab", "branch-8"));
        // Keep-apart pairs, at each hub of each of the two.
        assertFalse(rules(n.sites.get("dc-east").remoteSite("branch-1").orElseThrow()).contains("198.18.12.0/24"));
        assertFalse(rules(n.sites.get("dc-east").remoteSite("branch-3").orElseThrow()).contains("198.18.17.0/24"));
        assertFalse(rules(n.sites.get("dc-west").remoteSite("branch-7").orElseThrow()).contains("198.18.13.0/24"));
        assertTrue(rules(n.sites.get("dc-west").remoteSite("branch-7").orElseThrow()).contains("198.18.11.0/24"));
        assertEquals(List.of(), n.sites.get("dc-east").remoteSite("branch-4").orElseThrow().policy());
        // Behind NAT: keepalives toward every site it dials.
        assertEquals(List.of(25, 25), n.sites.get("branch-5").remoteSites().stream().map(RemoteSite::persistentKeepalive).toList());
        assertEquals(List.of(0), n.sites.get("branch-3").remoteSites().stream().map(RemoteSite::persistentKeepalive).toList());
    }

    /** spoke_to_spoke: deny: every spoke's entry at the hub has rules, which let through the hub and may_talk pairs only. */
    @Test
    void spokesThatMayNotTalkUnlessListed(@TempDir Path dir) throws Exception {
        String t = Files.readString(Path.of("src/test/resources/plan/hub-and-spoke/topology.yaml"))
                .replace("keep_apart: [[shop-1, shop-2]]", "spoke_to_spoke: deny\n  may_talk: [[shop-1, shop-3]]");
        Network n = Network.load(Plan.of("deny.yaml", t), dir);
        SiteConfig hq = n.sites.get("hq");
        String shop1 = rules(hq.remoteSite("shop-1").orElseThrow());
        String shop2 = rules(hq.remoteSite("shop-2").orElseThrow());
        assertTrue(shop1.contains("198.18.1.0/24") && shop1.contains("198.18.13.0/24") && !shop1.contains("198.18.12.0/24"), shop1);
        assertTrue(shop2.contains("198.18.1.0/24") && !shop2.contains("198.18.11.0/24") && !shop2.contains("198.18.13.0/24"), shop2);
        // The routes stay: a spoke's traffic to a spoke it may not reach goes into the tunnel and dies at the hub.
        assertEquals(List.of("shop-2", "hq", "shop-1"), n.path("shop-2", "shop-1"));
    }

    /** Every topology in examples/ plans without a problem, and its files pass check. */
    @Test
    void everyExampleTopologyPlans(@TempDir Path dir) throws Exception {
        List<Path> examples;
        try (Stream<Path> s = Files.list(Path.of("examples"))) {
            examples = s.filter(p -> p.getFileName().toString().startsWith("topology")).sorted().toList();
        }
        assertEquals(3, examples.size(), examples.toString());
        for (Path e : examples) {
            Plan p = plan(e);
            assertEquals(List.of(), p.problems(), e.toString());
            Network.load(p, Files.createDirectories(dir.resolve(e.getFileName().toString())));
        }
    }

    /** The shortened example in docs/scale.md is a topology plan accepts as it stands. */
    @Test
    void theDocsExamplePlans(@TempDir Path dir) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?s)```text\n(network:.*?)```")
                .matcher(Files.readString(Path.of("docs/scale.md")));
        assertTrue(m.find(), "docs/scale.md shows a topology");
        Plan p = Plan.of("docs-example.yaml", m.group(1));
        assertEquals(List.of(), p.problems());
        Network n = Network.load(p, dir);
        assertEquals(List.of("branch-1", "dc-east", "lab"), n.path("branch-1", "lab"));
    }

    private static List<String> names(SiteConfig s) {
        return s.remoteSites().stream().map(RemoteSite::name).toList();
    }

    private static String rules(RemoteSite r) {
        return r.policy().stream().map(Object::toString).collect(Collectors.joining("; "));
    }
}
