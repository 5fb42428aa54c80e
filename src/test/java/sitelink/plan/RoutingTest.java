package sitelink.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import sitelink.config.Location;
import sitelink.plan.Topology.Role;
import sitelink.plan.Topology.Site;

/**
 * Routing's promise, on many random networks: every site reaches every other, and along the way each site receives
 * the sender's traffic on the very link it would send its own traffic to the sender (else WireGuard drops it).
 * Spokes get one to three hubs in random order, so shared hubs, home hubs and ties all occur.
 */
class RoutingTest {
    @Test
    void everyPairReachesEachOtherSymmetricallyOnRandomNetworks() {
        Random random = new Random(17);
        for (int round = 0; round < 300; round++) {
            int hubs = 1 + random.nextInt(4);
            int mesh = random.nextInt(3);
            int spokes = random.nextInt(12);
            List<Site> sites = new ArrayList<>();
            List<String> hubNames = new ArrayList<>();
            for (int i = 0; i < hubs; i++) {
                hubNames.add("hub-" + i);
                sites.add(site("hub-" + i, Role.HUB, List.of()));
            }
            for (int i = 0; i < mesh; i++) {
                sites.add(site("mesh-" + i, Role.MESH, List.of()));
            }
            for (int i = 0; i < spokes; i++) {
                List<String> mine = new ArrayList<>(hubNames);
                Collections.shuffle(mine, random);
                sites.add(site("spoke-" + i, Role.SPOKE, mine.subList(0, 1 + random.nextInt(Math.min(3, hubs)))));
            }
            Collections.shuffle(sites, random);
            Routing r = new Routing(sites);
            assertEquals(List.of(), r.unreachable(), "round " + round + ": " + sites);
            for (Site a : sites) {
                for (Site b : sites) {
                    if (a != b) {
                        // At most spoke, hub, hub, spoke.
                        assertEquals(true, r.path(a, b).size() <= 4, r.path(a, b).toString());
                    }
                }
            }
        }
    }

    @Test
    void spokesSharingTwoHubsUseTheSameOneEitherWay() {
        Site h1 = site("h1", Role.HUB, List.of());
        Site h2 = site("h2", Role.HUB, List.of());
        Site a = site("a", Role.SPOKE, List.of("h1", "h2"));
        Site b = site("b", Role.SPOKE, List.of("h2", "h1"));
        Routing r = new Routing(List.of(h1, h2, a, b));
        // Rank sums tie (0+1 and 1+0): the hub earlier in the file.
        assertEquals(List.of(a, h1, b), r.path(a, b));
        assertEquals(List.of(b, h1, a), r.path(b, a));
    }

    private static Site site(String name, Role role, List<String> hubs) {
        return new Site(name, role, List.of(), Optional.empty(), 0, name, hubs, Optional.empty(), name + ".key",
                "sl-net", new Location("t.yaml", 1, 1));
    }
}
