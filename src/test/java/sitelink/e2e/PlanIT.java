package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.testbed.Command;
import sitelink.testbed.Namespace;
import sitelink.testbed.Offices;
import sitelink.testbed.Proc;

/**
 * {@code sitelink plan} on a real network of five gateways ({@link Offices} with offices A to E on one WAN): a hybrid
 * topology whose mesh group is A and B (both hubs), with spokes C and D on hub A and E on hub B, D and E kept apart.
 * Plan writes the five site files; each gateway runs {@code sitelink up} on its file as written (only the keys were
 * put where the topology says). Every LAN then pings every other LAN along the intended path, read from the TTL of
 * the reply (64 less one per gateway it crossed: 62 direct, 61 through one hub, 60 through both), and D and E cannot
 * reach each other: the hubs drop their packets (counted as filtered). When the topology lets them talk, {@code plan
 * --diff} names the two hubs' files alone, and after {@code plan} and {@code sitelink reload} on the two hubs D and
 * E reach each other through both hubs. The 12-site example of docs/scale.md is checked file by file in PlanTest,
 * and its shape end to end on twelve gateways by PlanHybridIT.
 */
class PlanIT {
    private static final int PORT = 51820;
    private static final Pattern TTL = Pattern.compile("ttl=(\\d+)");

    @Test
    @DisplayName("plan's five site files: every LAN reaches every other along the planned path, the kept-apart pair is blocked")
    void fiveSitesFromOneTopology() throws Exception {
        try (Offices net = Offices.create(E2e.testbed())) {
            net.addOffice();
            net.addOffice();
            net.addOffice();
            List<Offices.Office> o = net.offices();
            Path dir = o.getFirst().gateway().logDir().resolve("plan");
            java.nio.file.Files.createDirectories(dir);
            List<String> ifaces = new ArrayList<>();
            // C is behind NAT as far as the plan knows: it dials its hub and keeps the mapping open.
            String sites = siteEntries(o, dir, new String[] {"hub", "hub", "spoke", "spoke", "spoke"},
                    new String[] {"", "", "[office-a]", "[office-a]", "[office-b]"}, java.util.Set.of("c"), "pl", ifaces);
            Path topology = dir.resolve("topology.yaml");
            TwoOffices.writeSecret(topology, """
                    network: plan-it
                    shape: hybrid
                    tunnel: {pool: 198.19.0.0/24}
                    private_key_file: %s/{name}.key
                    sites:
                    %shub_policy:
                      keep_apart: [[office-d, office-e]]
                    """.formatted(dir, sites));
            String sitelink = E2e.home().resolve("sitelink").toString();
            Command.Result plan = net.wan().exec(Duration.ofSeconds(120), sitelink, "plan", topology.toString(),
                    "--out", dir.toString());
            assertEquals(0, plan.exitCode(), plan.describe());
            assertTrue(plan.stdout().startsWith("wrote 5 of 5 site files"), plan.describe());

            List<Proc> gateways = new ArrayList<>();
            for (Offices.Office x : o) {
                Command.Result check = x.gateway().exec(Duration.ofSeconds(60), sitelink, "check",
                        dir.resolve(x.name() + ".yaml").toString());
                assertEquals(0, check.exitCode(), "sitelink check of the file plan wrote: " + check.describe());
                Proc p = x.gateway().start(sitelink, "up", dir.resolve(x.name() + ".yaml").toString());
                gateways.add(p);
                E2e.await(Duration.ofSeconds(60), x.name() + "'s gateway to come up",
                        () -> p.output().contains(" is up on ") || !p.isAlive(), p::tail);
                if (!p.isAlive()) fail(x.name() + "'s gateway exited:\n" + p.tail());
            }
            try {
                // C has no endpoint in anyone's file: it speaks first.
                Traffic.awaitPing(o.get(2).host(), o.get(0).hostAddress(), Duration.ofSeconds(30));
                Map<String, Integer> hops = Map.of("ab", 0, "ac", 0, "ad", 0, "ae", 1, "bc", 1, "bd", 1, "be", 0,
                        "cd", 1, "ce", 2, "de", -1);
                long filteredA = filtered(ifaces.get(0));
                long filteredB = filtered(ifaces.get(1));
                List<String> report = new ArrayList<>();
                for (Offices.Office from : o) {
                    for (Offices.Office to : o) {
                        if (from == to) continue;
                        String pair = from.letter().compareTo(to.letter()) < 0 ? from.letter() + to.letter()
                                : to.letter() + from.letter();
                        int through = hops.get(pair);
                        if (through < 0) continue;
                        int ttl = replyTtl(from.host(), to.hostAddress());
                        assertEquals(62 - through, ttl, from.name() + " -> " + to.name() + ": the reply crossed "
                                + (2 + through) + " gateways (" + through + " hubs between the two sites)");
                        report.add(from.letter() + to.letter() + " ttl " + ttl);
                    }
                }
                assertEquals(filteredA, filtered(ifaces.get(0)), "hub A dropped nothing between allowed pairs");
                assertEquals(filteredB, filtered(ifaces.get(1)), "hub B dropped nothing between allowed pairs");

                // D and E are kept apart: D's pings die at hub A (D's entry there), E's at hub B.
                Traffic.Ping de = Traffic.ping(o.get(3).host(), o.get(4).hostAddress(), 3, 0.2);
                Traffic.Ping ed = Traffic.ping(o.get(4).host(), o.get(3).hostAddress(), 3, 0.2);
                assertEquals(0, de.received(), "office-d must not reach office-e:\n" + de.output());
                assertEquals(0, ed.received(), "office-e must not reach office-d:\n" + ed.output());
                assertTrue(filtered(ifaces.get(0)) >= filteredA + 3, "hub A counted D's pings to E as filtered");
                assertTrue(filtered(ifaces.get(1)) >= filteredB + 3, "hub B counted E's pings to D as filtered");
                // And both still reach everything else (the policy is not a blanket block).
                assertEquals(61, replyTtl(o.get(3).host(), o.get(1).hostAddress()));

                // The policy changes: D and E may talk. plan --diff names the two hubs' files alone, plan writes them,
                // and 'sitelink reload' applies each; then D reaches E through both hubs.
                java.nio.file.Files.writeString(topology, java.nio.file.Files.readString(topology)
                        .replace("keep_apart: [[office-d, office-e]]", "keep_apart: []"));
                Command.Result diff = net.wan().exec(Duration.ofSeconds(120), sitelink, "plan", "--diff",
                        topology.toString(), "--out", dir.toString());
                assertEquals(0, diff.exitCode(), diff.describe());
                assertTrue(diff.stderr().contains("2 of the site files in " + dir + " would change: office-a.yaml, "
                        + "office-b.yaml; nothing was written"), diff.describe());
                Command.Result write = net.wan().exec(Duration.ofSeconds(120), sitelink, "plan", topology.toString(),
                        "--out", dir.toString());
                assertTrue(write.stdout().startsWith("wrote 2 of 5 site files"), write.describe());
                for (int i = 0; i < 2; i++) {
                    Command.Result reload = o.get(i).gateway().exec(Duration.ofSeconds(60), sitelink, "reload",
                            dir.resolve(o.get(i).name() + ".yaml").toString());
                    assertEquals(0, reload.exitCode(), reload.describe());
                }
                assertEquals(60, replyTtl(o.get(3).host(), o.get(4).hostAddress()), "D reaches E through both hubs");
                assertEquals(60, replyTtl(o.get(4).host(), o.get(3).hostAddress()), "E reaches D through both hubs");
                System.out.println("PlanIT: " + String.join(", ", report) + "; d<->e blocked (0/3 each way), then "
                        + "allowed after plan and reload of the two hubs (ttl 60)");
            } finally {
                for (Proc p : gateways) {
                    p.close();
                }
            }
        }
    }

    /**
     * The {@code sites:} entries of a topology for offices {@code o} (role and hubs by position, the offices whose
     * letter is in {@code behindNat} without an endpoint), each with a new key written to DIR/NAME.key and a tunnel
     * interface named from {@code prefix}, added to {@code ifaces} in the offices' order.
     */
    static String siteEntries(List<Offices.Office> o, Path dir, String[] roles, String[] hubs,
                              java.util.Set<String> behindNat, String prefix, List<String> ifaces) {
        StringBuilder sites = new StringBuilder();
        for (int i = 0; i < o.size(); i++) {
            Offices.Office x = o.get(i);
            Key k = X25519.generatePrivate(new SecureRandom());
            TwoOffices.writeSecret(dir.resolve(x.name() + ".key"), k.toBase64() + "\n");
            ifaces.add(E2e.uniqueName(prefix + x.letter()));
            sites.append("""
                      - name: %s
                        role: %s
                        subnets: [%s]
                        %s
                        tunnel_name: %s
                        public_key: %s
                    """.formatted(x.name(), roles[i], x.lan(), behindNat.contains(x.letter()) ? "behind_nat: true"
                    : "endpoint: " + x.wanAddress() + ":" + PORT, ifaces.get(i), X25519.publicKey(k).toBase64()));
            if (!hubs[i].isEmpty()) {
                sites.append("    hubs: ").append(hubs[i]).append('\n');
            }
        }
        return sites.toString();
    }

    /** The TTL of the echo reply to one ping (a few tries: the first packet may wait for a handshake). */
    static int replyTtl(Namespace from, String to) {
        Command.Result[] last = new Command.Result[1];
        E2e.await(Duration.ofSeconds(30), "a ping reply from " + to + " in " + from, () -> {
            last[0] = from.exec("ping", "-n", "-c", "1", "-W", "2", to);
            return last[0].ok();
        }, () -> last[0] == null ? "" : last[0].describe());
        Matcher m = TTL.matcher(last[0].stdout());
        if (!m.find()) fail("no ttl in: " + last[0].stdout());
        return Integer.parseInt(m.group(1));
    }

    static long filtered(String iface) {
        return Uapi.request(iface, "get_counters=1\n\n").numbers().getOrDefault("drop_filtered", -1L);
    }
}
