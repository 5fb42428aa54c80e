package sitelink.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sitelink.agent.Etcd;
import sitelink.config.ConfigProblem;
import sitelink.plan.Plan;

/**
 * {@code sitelink plan TOPOLOGY --out DIR}: checks a whole network's topology (docs/scale.md) and writes one site
 * file per site into DIR; {@code --diff} prints what that would change in each file and writes nothing. Problems
 * are printed as {@code check} prints them ({@code file:line:column: what; how to fix}); exit 1 on any.
 */
@Command(name = "plan", description = "Check a network topology (hub-and-spoke, mesh or hybrid) and write one site "
        + "file per site.")
public final class PlanCommand implements Callable<Integer> {
    final KeyCommands.Io io = new KeyCommands.Io();

    @Parameters(paramLabel = "TOPOLOGY", description = "the topology file, e.g. examples/topology-hybrid.yaml")
    Path topology;

    @Option(names = "--out", paramLabel = "DIR",
            description = "the directory of the site files (NAME.yaml, one per site)")
    Path out;

    @Option(names = "--publish", paramLabel = "ENDPOINTS", description = "instead of writing files, publish the "
            + "checked topology in etcd (comma-separated endpoints), where each 'sitelink agent' reads it")
    String publish;

    @Mixin
    EtcdOptions etcd = new EtcdOptions();

    @Option(names = "--diff", description = "print what would change in each site file (a unified diff); write nothing")
    boolean diff;

    @Override
    public Integer call() {
        Plan plan = Plan.load(topology);
        plan.problems().forEach(io.err::println);
        if (!plan.ok()) {
            long n = plan.problems().stream().filter(ConfigProblem::isError).count();
            io.err.println(topology + ": " + n + (n == 1 ? " error" : " errors") + "; nothing was written");
            io.err.flush();
            return 1;
        }
        if (publish != null) {
            return publish(plan);
        }
        if (out == null) {
            io.err.println("sitelink plan: give --out DIR (where the site files go) or --publish ENDPOINTS (etcd)");
            io.err.flush();
            return Main.USAGE;
        }
        try {
            return diff ? diff(plan) : write(plan);
        } catch (IOException e) {
            io.err.println("sitelink plan: " + out + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "; check the directory and that you may write it");
            io.err.flush();
            return 1;
        }
    }

    /** The topology's text, as checked, under /sitelink/v1/topology; every agent plans its own site from it. */
    private int publish(Plan plan) {
        try (Etcd client = etcd.connect(publish)) {
            client.put(Etcd.TOPOLOGY_KEY, Files.readString(topology, StandardCharsets.UTF_8), 0);
            io.out.println("published " + topology + " (" + plan.sites().size() + " sites) in etcd as "
                    + Etcd.TOPOLOGY_KEY + "; each site's 'sitelink agent' applies its part");
            io.out.flush();
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            io.err.println("sitelink plan: cannot publish in etcd (" + publish + "): " + e.getMessage());
            io.err.flush();
            return 1;
        }
    }

    private int diff(Plan plan) throws IOException {
        Map<String, String> d = plan.diff(out);
        d.values().forEach(io.out::print);
        io.out.flush();
        io.err.println(d.isEmpty() ? "no changes: the " + plan.sites().size() + " site files in " + out
                + " are what the topology says" : d.size() + " of the site files in " + out + " would change: "
                + names(List.copyOf(d.keySet())) + "; nothing was written");
        io.err.flush();
        return 0;
    }

    private int write(Plan plan) throws IOException {
        List<Path> foreign = plan.foreign(out);
        if (!foreign.isEmpty()) {
            for (Path p : foreign) {
                io.err.println(p + ":1:1: was not written by 'sitelink plan'; plan does not overwrite it: move it "
                        + "away (or delete it) if the topology now describes this site");
            }
            io.err.println(topology + ": nothing was written");
            io.err.flush();
            return 1;
        }
        List<String> changed = plan.write(out);
        for (Path p : plan.stale(out)) {
            io.err.println(p + ": note: this site is no longer in the topology; stop its gateway and remove the file");
        }
        io.out.println("wrote " + changed.size() + " of " + plan.sites().size() + " site files to " + out
                + (changed.isEmpty() ? " (none changed)" : ": " + names(changed))
                + "; copy each to its site as /etc/sitelink/NAME.yaml and run 'sitelink check' there");
        io.out.flush();
        io.err.flush();
        return 0;
    }

    /** Up to ten file names, then how many more: a line, not a page, for a network of a thousand sites. */
    private static String names(List<String> files) {
        return files.size() <= 10 ? String.join(", ", files)
                : String.join(", ", files.subList(0, 10)) + " and " + (files.size() - 10) + " more";
    }
}
