package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import sitelink.e2e.TwoOffices.Office;
import sitelink.testbed.Command;

/**
 * Source-based routing ({@code route_from}) on {@link TwoOffices}: office A routes "everything" (0.0.0.0/0) to office
 * B, but only for its LAN's upper half 198.18.1.128/25. Host A has an address in each half (198.18.1.10 and
 * 198.18.1.200) and pings an address behind gateway B that is in no LAN (198.18.200.1, on B's loopback). A capture
 * on A's WAN port shows which way each ping went: from .200 only the tunnel's UDP (and the ping is answered), from .10
 * the echo requests in clear, the normal way to the WAN router (which has no route there). When gateway A stops, its
 * rule and routing table are gone.
 */
class SourceRoutingIT {
    private static final String FAR = "198.18.200.1";
    private static final String TUNNELED = "198.18.1.200";
    private static final String ROUTE_FROM = "198.18.1.128/25";

    @Test
    void onlyTheNamedSubnetsTrafficTakesTheTunnel() {
        try (TwoOffices t = TwoOffices.create()) {
            Office a = t.a(), b = t.b();
            b.gateway().ip("addr", "add", FAR + "/32", "dev", "lo");
            a.host().ip("addr", "add", TUNNELED + "/24", "dev", "lan0");
            String wide = t.writeSiteFileText(a, b);
            String bSubnets = "remote_subnets: [" + b.lan() + ", " + b.tunnelAddress() + "/32]";
            assertTrue(wide.contains(bSubnets), wide);
            t.writeSiteFile(a, wide.replace(bSubnets, "remote_subnets: [0.0.0.0/0]\n    route_from: [" + ROUTE_FROM + "]"));
            t.writeSiteFile(b, a);
            t.up(a);
            t.up(b);

            String rules = a.gateway().ip("rule", "show");
            assertTrue(rules.contains("from " + ROUTE_FROM + " lookup 51000"), rules);
            String table = a.gateway().ip("route", "show", "table", "51000");
            assertTrue(table.contains("default dev " + a.iface()) && table.contains("throw " + a.lan()), table);
            assertFalse(a.gateway().ip("route", "show").contains("dev " + a.iface() + " proto static"),
                    "no main-table route into the tunnel: " + a.gateway().ip("route", "show"));

            try (Capture wan = Capture.start(t.wan(), "wp1", "icmp or udp")) {
                E2e.await(Duration.ofSeconds(30), "a reply from " + FAR + " to " + TUNNELED,
                        () -> a.host().exec("ping", "-n", "-c", "1", "-W", "2", "-I", TUNNELED, FAR).ok(),
                        () -> a.host().exec("ping", "-n", "-c", "1", "-W", "1", "-I", TUNNELED, FAR).describe());
                Command.Result plain = a.host().exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "-I",
                        a.hostAddress(), FAR);
                assertFalse(plain.ok(), "nothing routes " + FAR + " for " + a.hostAddress() + " but the tunnel: "
                        + plain.describe());
                List<String> seen = wan.stop();
                assertTrue(seen.stream().anyMatch(l -> l.contains(a.hostAddress() + " > " + FAR)),
                        "host A's other half went the normal way, in clear to the WAN router: " + seen);
                assertTrue(seen.stream().noneMatch(l -> l.contains(TUNNELED)),
                        "nothing of " + TUNNELED + " crossed the WAN in clear: " + seen);
                assertTrue(seen.stream().anyMatch(l -> l.contains(a.wanAddress() + ".51820 > " + b.wanAddress()
                        + ".51820: UDP")), "the tunnel carried it: " + seen);
            }

            // the normal way still works for the other half: the internet beyond the WAN router
            Traffic.awaitPing(a.host(), TwoOffices.INTERNET_HOST, Duration.ofSeconds(10));

            Command.Result reload = t.tryReload(a);
            assertTrue(reload.ok(), "an unchanged file reloads: " + reload.describe());
            TwoOffices.writeSecret(a.siteFile(), wide.replace(bSubnets, "remote_subnets: [0.0.0.0/0]\n    route_from: [198.18.1.0/25]"));
            Command.Result refused = t.tryReload(a);
            assertFalse(refused.ok(), refused.describe());
            assertTrue((refused.stdout() + refused.stderr()).contains("route_from"), refused.describe());
            assertTrue(a.gateway().ip("rule", "show").contains("from " + ROUTE_FROM + " lookup 51000"),
                    "the refused reload changed nothing");

            t.down(a);
            assertFalse(a.gateway().ip("rule", "show").contains("lookup 51000"), a.gateway().ip("rule", "show"));
            assertEquals("", a.gateway().ip("route", "show", "table", "51000").strip());
        }
    }
}
