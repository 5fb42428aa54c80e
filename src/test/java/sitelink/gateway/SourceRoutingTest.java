package sitelink.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import sitelink.config.SiteConfig;
import sitelink.config.SiteFile;
import sitelink.os.host.Netlink;
import sitelink.os.host.SystemChanges;
import sitelink.route.Prefix;
import sitelink.testbed.Command;
import sitelink.testbed.Namespace;
import sitelink.testbed.Testbed;
import sitelink.testbed.Veth;

/**
 * {@code route_from} as the gateway installs it, in a namespace of the test's own: sl-a stands in for the tunnel,
 * sl-b for the LAN 198.18.1.0/24 (with one address in each half of it). The kernel's own route lookup
 * ({@code ip route get}) is what decides: traffic from 198.18.1.128/25 to anywhere goes into the tunnel, traffic
 * from the other half does not, and the LAN stays on the LAN for both. Closing the ledger removes rules and table.
 */
class SourceRoutingTest {
    private static final String FILE = """
            name: office-a
            private_key: dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=
            tunnel: {name: sl-a, addresses: [198.19.0.1/30]}
            local_subnets: [198.18.1.0/24]
            remote_sites:
              - name: office-b
                public_key: 3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=
                endpoint: 203.0.113.2:51820
                remote_subnets: [0.0.0.0/0]
                route_from: [198.18.1.128/25]
            """;

    private Namespace ns;
    private Netlink nl;
    private final SystemChanges changes = new SystemChanges();

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue(!"false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
        ns = Testbed.unique("sl-sr").namespace("gw");
        Veth.inside(ns, "sl-a", "sl-b");
        ns.ip("link", "set", "sl-a", "up");
        ns.ip("link", "set", "sl-b", "up");
        ns.ip("addr", "add", "198.18.1.10/24", "dev", "sl-b");
        ns.ip("addr", "add", "198.18.1.200/24", "dev", "sl-b");
        nl = ns.call(Netlink::open);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (ns != null) {
            changes.undoAll();
            nl.close();
            ns.close();
        }
    }

    @Test
    void onlyTheNamedSubnetsTrafficTakesTheTunnelAndCloseRemovesRulesAndTable() throws Exception {
        SiteConfig c = config();
        assertEquals(List.of(), c.mainRoutedSubnets(), "no main-table route: 0.0.0.0/0 is for one subnet only");
        // a table some other program uses already: the gateway takes the next one
        ns.ip("rule", "add", "from", "198.18.9.0/24", "lookup", Integer.toString(Gateway.FIRST_SOURCE_TABLE));
        Gateway.routeBySource(c, nl, changes);
        int table = Gateway.FIRST_SOURCE_TABLE + 1;

        assertEquals(List.of(Prefix.parse("198.18.1.128/25")),
                nl.rules().stream().filter(r -> r.table() == table).map(Netlink.Rule::source).toList(), ns.ip("rule"));
        assertTrue(routeGet("198.18.200.1", "198.18.1.200").contains("dev sl-a"), "the named half goes into the tunnel");
        assertTrue(routeGet("198.18.1.5", "198.18.1.200").contains("dev sl-b"), "its LAN stays on the LAN");
        Command.Result other = ns.exec("ip", "route", "get", "198.18.200.1", "from", "198.18.1.10");
        assertFalse(other.ok() && other.stdout().contains("dev sl-a"), "the other half goes the normal way (here: no "
                + "route at all): " + other.describe());

        assertTrue(changes.undoAll().isEmpty());
        assertTrue(nl.rules().stream().noneMatch(r -> r.table() == table), ns.ip("rule"));
        assertEquals(List.of(), nl.routes(table));
        assertTrue(nl.rules().stream().anyMatch(r -> r.table() == Gateway.FIRST_SOURCE_TABLE), "the other rule stays");
    }

    private String routeGet(String to, String from) {
        return ns.ip("route", "get", to, "from", from);
    }

    private static SiteConfig config() {
        SiteFile f = SiteFile.parse("office-a.yaml", FILE, Path.of("/nonexistent"), SiteFile.Format.YAML);
        return f.config().orElseThrow(() -> new AssertionError(f.problems()));
    }
}
