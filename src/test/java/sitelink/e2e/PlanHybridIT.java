package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import sitelink.plan.Network;
import sitelink.testbed.Command;
import sitelink.testbed.Offices;
import sitelink.testbed.Proc;

/**
 * Issue 17's twelve sites: {@code sitelink plan} on a hybrid topology of the shape of examples/topology-hybrid.yaml
 * (offices A and B the data-centre hubs, C a mesh member serving no spokes, nine branches D to L: D to G on hub A, H
 * on A then B, I to K on B, L on B then A; D, E, H, I and K behind NAT; D-E and F-J kept apart) writes twelve site
 * files, and twelve gateways run {@code sitelink up} on them as written. Every LAN then pings every other along the
 * path the files plan (read from them, as PlanTest does: the remote site whose subnets hold the destination, hop by
 * hop), checked by the reply's TTL (64 less one per gateway it crossed); the kept-apart pairs get no reply, and the
 * hubs count those packets as filtered. Tagged alone: twelve gateway JVMs start on the machine's two cores.
 */
@Tag(E2e.ALONE)
class PlanHybridIT {
    @Test
    @DisplayName("plan's twelve site files of the hybrid example's shape: every LAN reaches every other along the planned path, the kept-apart pairs are blocked")
    void twelveSitesFromTheHybridExample() throws Exception {
        try (Offices net = Offices.create(E2e.testbed())) {
            while (net.offices().size() < 12) {
                net.addOffice();
            }
            List<Offices.Office> o = net.offices();
            Path dir = o.getFirst().gateway().logDir().resolve("plan");
            Files.createDirectories(dir);
            String[] roles = {"hub", "hub", "mesh", "spoke", "spoke", "spoke", "spoke", "spoke", "spoke", "spoke", "spoke", "spoke"};
            String[] hubs = {"", "", "", "[office-a]", "[office-a]", "[office-a]", "[office-a]", "[office-a, office-b]",
                    "[office-b]", "[office-b]", "[office-b]", "[office-b, office-a]"};
            Set<String> behindNat = Set.of("d", "e", "h", "i", "k");
            List<String> ifaces = new ArrayList<>();
            String sites = PlanIT.siteEntries(o, dir, roles, hubs, behindNat, "ph", ifaces);
            Path topology = dir.resolve("topology.yaml");
            TwoOffices.writeSecret(topology, """
                    network: plan-hybrid-it
                    shape: hybrid
                    tunnel: {pool: 198.19.0.0/24}
                    private_key_file: %s/{name}.key
                    persistent_keepalive: 25
                    sites:
                    %shub_policy:
                      spoke_to_spoke: allow
                      keep_apart: [[office-d, office-e], [office-f, office-j]]
                    """.formatted(dir, sites));
            String sitelink = E2e.home().resolve("sitelink").toString();
            Command.Result plan = net.wan().exec(Duration.ofSeconds(120), sitelink, "plan", topology.toString(),
                    "--out", dir.toString());
            assertEquals(0, plan.exitCode(), plan.describe());
            assertTrue(plan.stdout().startsWith("wrote 12 of 12 site files"), plan.describe());
            Network planned = Network.read(dir, o.stream().map(Offices.Office::name).toList());

            List<Proc> gateways = new ArrayList<>();
            try {
                for (Offices.Office x : o) {
                    gateways.add(x.gateway().start(sitelink, "up", dir.resolve(x.name() + ".yaml").toString()));
                }
                for (int i = 0; i < o.size(); i++) {
                    Proc p = gateways.get(i);
                    E2e.await(Duration.ofSeconds(120), o.get(i).name() + "'s gateway to come up",
                            () -> p.output().contains(" is up on ") || !p.isAlive(), p::tail);
                    if (!p.isAlive()) fail(o.get(i).name() + "'s gateway exited:\n" + p.tail());
                }
                long filteredA = PlanIT.filtered(ifaces.get(0)), filteredB = PlanIT.filtered(ifaces.get(1));
                Set<String> apart = Set.of("de", "ed", "fj", "jf");
                List<String> report = new ArrayList<>();
                int checked = 0;
                for (Offices.Office from : o) {
                    for (Offices.Office to : o) {
                        if (from == to || apart.contains(from.letter() + to.letter())) continue;
                        List<String> path = planned.path(from.name(), to.name());
                        int ttl = PlanIT.replyTtl(from.host(), to.hostAddress());
                        assertEquals(64 - path.size(), ttl, from.name() + " -> " + to.name() + ": the reply crossed "
                                + (64 - ttl) + " gateways, the plan's path " + path + " has " + path.size());
                        checked++;
                        if (path.size() > 2) {
                            report.add(from.letter() + to.letter() + " via " + String.join("+",
                                    path.subList(1, path.size() - 1).stream().map(s -> s.substring("office-".length())).toList()));
                        }
                    }
                }
                assertEquals(PlanIT.filtered(ifaces.get(0)), filteredA, "hub A dropped nothing between allowed pairs");
                assertEquals(PlanIT.filtered(ifaces.get(1)), filteredB, "hub B dropped nothing between allowed pairs");
                for (String pair : List.of("de", "fj")) {
                    Offices.Office x = o.get(pair.charAt(0) - 'a'), y = o.get(pair.charAt(1) - 'a');
                    Traffic.Ping there = Traffic.ping(x.host(), y.hostAddress(), 3, 0.2);
                    Traffic.Ping back = Traffic.ping(y.host(), x.hostAddress(), 3, 0.2);
                    assertEquals(0, there.received(), x.name() + " must not reach " + y.name() + ":\n" + there.output());
                    assertEquals(0, back.received(), y.name() + " must not reach " + x.name() + ":\n" + back.output());
                }
                assertTrue(PlanIT.filtered(ifaces.get(0)) + PlanIT.filtered(ifaces.get(1)) >= filteredA + filteredB + 12,
                        "the hubs counted the kept-apart pairs' pings as filtered");
                System.out.println("PlanHybridIT: " + checked + " ordered pairs along the planned paths (TTL), "
                        + "through hubs: " + String.join(", ", report) + "; d<->e and f<->j blocked (0/3 each way)");
            } finally {
                for (Proc p : gateways) {
                    p.close();
                }
            }
        }
    }
}
