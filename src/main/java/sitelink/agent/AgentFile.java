package sitelink.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import sitelink.config.ConfigProblem;
import sitelink.plan.Plan;
import sitelink.plan.Topology;

/**
 * The site file a {@code sitelink agent} runs: the site's own file (its key file, tunnel, subnets, policy and
 * telemetry, without remote sites) followed by the {@code remote_sites} that {@code sitelink plan} computes for the
 * site from the topology and the records the sites published in etcd. Pure: the same inputs give the same text, so
 * an agent applies (and the gateway reloads) only when something that concerns this site changed.
 */
public final class AgentFile {
    /** The first line of the file the agent writes. */
    public static final String HEADER = "# Written by 'sitelink agent' from the site file and the topology in etcd; "
            + "do not edit";

    private AgentFile() {
    }

    /**
     * The outcome: the file's text when the network is sound, else the problems (the agent then keeps what runs);
     * notes either way (records that were not used, and why).
     */
    public record Result(Optional<String> text, List<String> problems, List<String> notes) {
        public Result {
            problems = List.copyOf(problems);
            notes = List.copyOf(notes);
        }
    }

    /**
     * Site {@code site}'s file from its own file's text and, when one is published, the topology and the sites'
     * records (site name to record text). A record replaces its site's endpoint and subnets in the topology; one whose
     * public key differs from the topology's is not used (keys change in the topology, by whoever publishes it).
     */
    public static Result compose(String site, String siteFileText, Optional<String> topology, Map<String, String> records) {
        if (topology.isEmpty()) {
            return new Result(Optional.empty(), List.of("no topology in etcd yet; publish one with 'sitelink plan "
                    + "--publish ENDPOINTS TOPOLOGY.yaml'"), List.of());
        }
        List<String> notes = new ArrayList<>();
        Plan plan = Plan.of(Etcd.TOPOLOGY_KEY, topology.get(), s -> merge(s, records.get(s.name()), notes));
        if (!plan.ok()) {
            return new Result(Optional.empty(), plan.problems().stream().filter(ConfigProblem::isError)
                    .map(Object::toString).toList(), notes);
        }
        if (!plan.sites().contains(site)) {
            return new Result(Optional.empty(), List.of("site " + site + " is not in the topology in etcd; add it "
                    + "there (and publish), or check the name in the site file"), notes);
        }
        String own = siteFileText.endsWith("\n") ? siteFileText : siteFileText + "\n";
        String text = HEADER + "\n" + own + "# The remote sites below come from etcd (docs/scale.md).\n"
                + plan.remoteSites(site);
        return new Result(Optional.of(text), List.of(), notes);
    }

    /** {@code s} with what its record says, when it has a usable one. */
    static Topology.Site merge(Topology.Site s, String recordText, List<String> notes) {
        if (recordText == null) {
            return s;
        }
        return switch (SiteRecord.parse(recordText)) {
            case SiteRecord.Parsed.Bad(String why) -> {
                notes.add("the record of site " + s.name() + " in etcd is not used: " + why);
                yield s;
            }
            case SiteRecord.Parsed.Ok(SiteRecord r) when !r.publicKey().toBase64().equals(s.publicKey()) -> {
                notes.add("the record of site " + s.name() + " in etcd is not used: its public key is not the "
                        + "topology's (a site's key changes in the topology)");
                yield s;
            }
            case SiteRecord.Parsed.Ok(SiteRecord r) -> new Topology.Site(s.name(), s.role(),
                    r.subnets().isEmpty() ? s.subnets() : r.subnets(), r.endpoint().or(s::endpoint), s.listenPort(),
                    s.publicKey(), s.hubs(), s.tunnelAddress(), s.privateKeyFile(), s.tunnelName(), s.at());
        };
    }
}
