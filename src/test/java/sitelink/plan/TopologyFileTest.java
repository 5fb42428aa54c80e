package sitelink.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import sitelink.config.ConfigProblem;

/** The whole-network checks of {@code sitelink plan}, each at the line and column it is about. */
class TopologyFileTest {
    private static final String K1 = "9OOlwgoGrtwIuiHn3D1IqH+UNyJuZTk9k6xYgSDxt3Y=";
    private static final String K2 = "qYqu8ZYPrBK6DqcV7ZdocRASIRvk3R9S0lRcunYCZ1Q=";
    private static final String K3 = "2lQ06T0XaSytJ6ZXsabTlMxv+8UMZpzc9s1V4vY/flo=";
    private static final String K4 = "83pRxMcJYL+4MhMoJyO7/r0tjdCoQ6dsSnliQ5kQj18=";

    /** Two hubs and two spokes; line numbers below refer to this text. */
    private static final String GOOD = """
            shape: hub-and-spoke
            tunnel: {pool: 198.19.0.0/24}
            sites:
              - name: h1
                role: hub
                subnets: [198.18.1.0/24]
                endpoint: 203.0.113.1:51820
                public_key: %s
              - name: h2
                role: hub
                subnets: [198.18.2.0/24]
                endpoint: 203.0.113.2:51820
                public_key: %s
              - name: s1
                hubs: [h1]
                subnets: [198.18.11.0/24]
                behind_nat: true
                public_key: %s
              - name: s2
                hubs: [h2, h1]
                subnets: [198.18.12.0/24]
                endpoint: 203.0.113.12:51820
                public_key: %s
            """.formatted(K1, K2, K3, K4);

    private static List<String> errors(String text) {
        return TopologyFile.parse("t.yaml", text).errors().stream().map(ConfigProblem::toString).toList();
    }

    private static void assertError(String text, String expected) {
        List<String> e = errors(text);
        assertTrue(e.contains(expected), "expected " + expected + "\nin " + String.join("\n", e));
    }

    @Test
    void aGoodTopologyHasNoProblems() {
        assertEquals(List.of(), TopologyFile.parse("t.yaml", GOOD).problems());
    }

    @Test
    void overlappingSubnets() {
        assertError(GOOD.replace("[198.18.12.0/24]", "[198.18.1.128/25]"), "t.yaml:21:14: subnet 198.18.1.128/25 of s2 "
                + "overlaps subnet 198.18.1.0/24 of h1 (line 6); every site needs its own addresses, or traffic for one "
                + "goes to the other: renumber one");
        assertError(GOOD.replace("pool: 198.19.0.0/24", "pool: 198.18.0.0/16"), "t.yaml:2:16: the tunnel pool 198.18.0.0/16 "
                + "overlaps subnet 198.18.1.0/24 of h1 (line 6); every site needs its own addresses, or traffic for one "
                + "goes to the other: renumber one");
    }

    @Test
    void aSpokeWithoutAHub() {
        assertError(GOOD.replace("    hubs: [h1]\n", ""), "t.yaml:14:5: spoke s1 has no hub; add hubs: [h1, h2] (one or "
                + "more; the first carries its traffic to other sites)");
        assertError(GOOD.replace("hubs: [h1]", "hubs: [h3]"), "t.yaml:15:11: hub 'h3' of spoke s1 is not a site of this network");
        assertError(GOOD.replace("hubs: [h1]", "hubs: [s2]"), "t.yaml:15:11: 's2' in the hubs of spoke s1 is a spoke, not a "
                + "hub; give it role: hub or name a hub");
        assertError(GOOD.replace("role: hub", "role: spoke"), "t.yaml:1:1: a hub-and-spoke network needs at least one hub; "
                + "give a site role: hub");
    }

    @Test
    void withOneHubASpokeNeedsNoHubsLine() {
        String one = GOOD.replace("""
                  - name: h2
                    role: hub
                    subnets: [198.18.2.0/24]
                    endpoint: 203.0.113.2:51820
                    public_key: %s
                """.formatted(K2), "").replace("hubs: [h2, h1]", "subnets2: x").replace("    subnets2: x\n", "")
                .replace("    hubs: [h1]\n", "");
        TopologyFile.Result r = TopologyFile.parse("t.yaml", one);
        assertEquals(List.of(), r.problems());
        assertEquals(List.of("h1"), r.topology().orElseThrow().site("s2").orElseThrow().hubs());
    }

    @Test
    void duplicateNamesAndKeys() {
        assertError(GOOD.replace("name: s2", "name: s1"), "t.yaml:19:11: site name 's1' is already used at line 14; give "
                + "each site its own name");
        assertError(GOOD.replace(K4, K3), "t.yaml:23:17: public_key of s2 is the same as that of s1 (line 14); each site "
                + "has its own key pair ('sitelink genkey' on each site)");
    }

    @Test
    void keysThatAreNotWireGuardPublicKeys() {
        assertError(GOOD.replace(K1, "not-a-key"), "t.yaml:8:17: public_key is not a WireGuard public key (44 base64 "
                + "characters ending in '='); paste the output of 'sitelink pubkey < SITE.key' run on that site");
        assertError(GOOD.replace(K1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), "t.yaml:8:17: public_key is all "
                + "zeros, which no WireGuard private key has; paste the output of 'sitelink pubkey < SITE.key' run on that site");
        assertError(GOOD.replace(K1, K1.substring(0, 40) + "AA=="), "t.yaml:8:17: public_key is not a WireGuard public "
                + "key (44 base64 characters ending in '='); paste the output of 'sitelink pubkey < SITE.key' run on that site");
    }

    @Test
    void twoSitesBehindNatThatLinkDirectly() {
        // Two hubs link to each other: one of them needs an endpoint.
        assertError(GOOD.replace("endpoint: 203.0.113.1:51820", "behind_nat: true")
                        .replace("endpoint: 203.0.113.2:51820", "behind_nat: true"),
                "t.yaml:12:17: h2 and h1 (line 4) are both behind NAT but link directly (both are hubs or mesh members), "
                        + "and neither can dial the other; give one of them an endpoint (a public address or a forwarded "
                        + "port), or make one a spoke of a hub with an endpoint");
        // A spoke behind NAT whose hub is behind NAT too.
        assertError(GOOD.replace("endpoint: 203.0.113.1:51820", "behind_nat: true"), "t.yaml:17:17: s1 and h1 (line 4) "
                + "are both behind NAT but link directly (a spoke and its hub), and neither can dial the other; give one "
                + "of them an endpoint (a public address or a forwarded port)");
        // Two spokes behind NAT do not link: fine.
        assertEquals(List.of(), errors(GOOD.replace("endpoint: 203.0.113.12:51820", "behind_nat: true")));
    }

    @Test
    void tunnelAddressCollisions() {
        assertError(GOOD.replace("    hubs: [h1]\n", "    hubs: [h1]\n    tunnel_address: 198.19.0.1\n"),
                "t.yaml:16:21: tunnel address 198.19.0.1 of s1 is already h1's (line 4); give each site its own (a site "
                        + "without tunnel_address gets the pool's address numbered by its place in the list)");
        assertError(GOOD.replace("    hubs: [h1]\n", "    hubs: [h1]\n    tunnel_address: 198.19.1.1\n"),
                "t.yaml:16:21: tunnel_address 198.19.1.1 of s1 is outside the tunnel pool 198.19.0.0/24; choose one inside it");
        assertError(GOOD.replace("198.19.0.0/24", "198.19.0.0/30"), "t.yaml:19:11: the tunnel pool 198.19.0.0/30 has no "
                + "address left for site s2; use a larger pool");
    }

    @Test
    void theHubPolicyNamesSpokes() {
        assertError(GOOD + "hub_policy:\n  keep_apart: [[s1, h2]]\n", "t.yaml:25:21: keep_apart names h2, a hub: the hub "
                + "policy decides only traffic between spokes, which passes a hub");
        assertError(GOOD + "hub_policy:\n  keep_apart: [[s1, s9]]\n", "t.yaml:25:21: keep_apart names 's9', which is not "
                + "a site of this network");
        assertError(GOOD + "hub_policy:\n  keep_apart: [[s1, s2]]\n  may_talk: [[s1, s2]]\n", "t.yaml:26:3: may_talk has "
                + "no meaning with spoke_to_spoke: allow; use keep_apart (or set spoke_to_spoke: deny)");
        assertEquals(List.of(), errors(GOOD + "hub_policy:\n  spoke_to_spoke: deny\n  may_talk: [[s1, s2]]\n"));
    }

    @Test
    void shapesAndRoles() {
        assertError(GOOD.replace("shape: hub-and-spoke", "shape: mesh"), "t.yaml:5:11: site h1 is a hub in a mesh, where "
                + "every site links to every other; remove the role, or use shape: hybrid");
        assertError(GOOD.replace("shape: hub-and-spoke", "shape: hybrid"), "t.yaml:14:5: site s1 has no role; a hybrid "
                + "network needs one for each site: role: hub, mesh or spoke");
        assertError(GOOD.replace("shape: hub-and-spoke", "shape: hub-and-spok"), "t.yaml:1:8: shape 'hub-and-spok' is not "
                + "one of hub-and-spoke, mesh, hybrid; did you mean 'hub-and-spoke'?");
        assertError(GOOD.replace("role: hub\n    subnets: [198.18.2.0/24]", "role: mesh\n    subnets: [198.18.2.0/24]"),
                "t.yaml:10:11: site h2 is a mesh member in a hub-and-spoke network; make it a hub or a spoke, or use "
                        + "shape: hybrid for a mesh group with spokes");
    }

    @Test
    void fieldsOnTheirOwn() {
        assertError(GOOD.replace("behind_nat: true", "behind_nat: true\n    endpont: 1.2.3.4:5"), "t.yaml:18:5: unknown "
                + "field 'endpont' in a site; did you mean 'endpoint'?");
        assertError(GOOD.replace("    behind_nat: true\n", ""), "t.yaml:14:5: site s1 has neither an endpoint nor "
                + "behind_nat: true; add endpoint: HOST:PORT where other sites reach it, or behind_nat: true if it can only "
                + "dial out");
        assertError(GOOD.replace("behind_nat: true", "behind_nat: true\n    protocol: ikev2"), "t.yaml:18:15: protocol "
                + "ikev2: plan writes WireGuard sites only for now; use protocol: wireguard (or leave it out) and link "
                + "IKEv2 gateways by hand (docs/ikev2.md)");
        assertError(GOOD.replace("endpoint: 203.0.113.12:51820", "endpoint: 198.18.1.7:51820"), "t.yaml:22:15: endpoint "
                + "198.18.1.7:51820 of s2 lies inside subnet 198.18.1.0/24 of h1, which is routed into the tunnel: the "
                + "tunnel's own packets would loop; give the gateway a WAN address outside every site's subnets");
        assertError("network: \"a\\nb\"\n" + GOOD, "t.yaml:1:10: network name 'a\nb' may hold only letters, digits, "
                + "'.', '_' and '-' (at most 63, starting with a letter or digit); e.g. acme");
        assertError("sites: []\nshape: mesh\n", "t.yaml:1:1: a network needs at least two sites; add the sites it links");
    }
}
