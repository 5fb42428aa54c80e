package sitelink.plan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import sitelink.config.ConfigProblem;
import sitelink.config.Location;
import sitelink.config.SiteFile;
import sitelink.files.AtomicFiles;

/**
 * {@code sitelink plan}: a topology file checked and turned into one site file per site, each validated as
 * {@code sitelink check} validates a hand-written one; then either written to a directory or compared with what is
 * there ({@code --diff}). The files are rendered one at a time when they are needed (twice: to check, then to write
 * or compare), so a network of a thousand sites fits in the command's small heap.
 */
public final class Plan {
    private final List<ConfigProblem> problems;
    private final Topology topology;
    private final Routing routing;

    private Plan(List<ConfigProblem> problems, Topology topology) {
        this.problems = List.copyOf(problems);
        this.topology = topology;
        this.routing = topology == null ? null : new Routing(topology.sites());
    }

    /** Every problem of the topology (and of a generated file, which would be a bug in plan). */
    public List<ConfigProblem> problems() {
        return problems;
    }

    public boolean ok() {
        return topology != null && problems.stream().noneMatch(ConfigProblem::isError);
    }

    /** The sites, in the topology's order; none when there is an error. */
    public List<String> sites() {
        return ok() ? topology.sites().stream().map(Topology.Site::name).toList() : List.of();
    }

    /** The text of {@code site}'s file. */
    public String file(String site) {
        return SiteFiles.file(topology, routing, topology.site(site).orElseThrow());
    }

    /** The {@code remote_sites:} part of {@code site}'s file: its links, their routes and hub rules. */
    public String remoteSites(String site) {
        return SiteFiles.remoteSites(topology, routing, topology.site(site).orElseThrow());
    }

    /** Every site's file by site name, in the topology's order (all in memory: for tests and small networks). */
    public Map<String, String> files() {
        Map<String, String> out = new LinkedHashMap<>();
        sites().forEach(s -> out.put(s, file(s)));
        return out;
    }

    /** Plans the topology in {@code text}; {@code displayName} is the file name messages show. */
    public static Plan of(String displayName, String text) {
        return of(displayName, text, UnaryOperator.identity());
    }

    /**
     * Plans the topology in {@code text} after {@code live} replaced each of its sites: the network as
     * {@code sitelink agent} runs it, with what each site published in etcd (docs/scale.md).
     */
    public static Plan of(String displayName, String text, UnaryOperator<Topology.Site> live) {
        TopologyFile.Result r = TopologyFile.parse(displayName, text, live);
        if (r.topology().isEmpty()) {
            return new Plan(r.problems(), null);
        }
        Plan unchecked = new Plan(r.problems(), r.topology().get());
        List<ConfigProblem> problems = new ArrayList<>(r.problems());
        for (String site : unchecked.sites()) {
            problems.addAll(validate(site, unchecked.file(site)));
        }
        return new Plan(problems, r.topology().get());
    }

    public static Plan load(Path topology) {
        try {
            return of(topology.toString(), Files.readString(topology, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Plan(List.of(ConfigProblem.error(new Location(topology.toString(), 1, 1), "cannot read the "
                    + "topology file (" + e.getClass().getSimpleName() + "); check the path and that you may read it")),
                    null);
        }
    }

    /**
     * The file checks of {@code sitelink check} on a generated file, but for its private key file, which lives on
     * the site itself and not where plan runs. Any error left is a bug in plan: the topology passed its checks.
     */
    static List<ConfigProblem> validate(String site, String text) {
        String name = site + ".yaml";
        SiteFile f = SiteFile.parse(name, text, Path.of("/"), SiteFile.Format.YAML);
        int keyLine = (int) text.lines().takeWhile(l -> !l.startsWith("private_key_file:")).count() + 1;
        return f.errors().stream().filter(p -> p.location().line() != keyLine)
                .map(p -> ConfigProblem.error(p.location(), "plan wrote a site file that 'sitelink check' refuses (a "
                        + "bug in plan; please report it with the topology): " + p.message())).toList();
    }

    /** What writing to {@code dir} would change, per file: a unified diff, or nothing when a file stays the same. */
    public Map<String, String> diff(Path dir) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String site : sites()) {
            Path p = dir.resolve(site + ".yaml");
            boolean exists = Files.exists(p);
            String old = exists ? Files.readString(p, StandardCharsets.UTF_8) : "";
            String d = UnifiedDiff.diff(exists ? p.toString() : "/dev/null", old, p.toString(), file(site));
            if (!d.isEmpty()) {
                out.put(site + ".yaml", d);
            }
        }
        for (Path p : stale(dir)) {
            out.put(p.getFileName().toString(), UnifiedDiff.diff(p.toString(), Files.readString(p, StandardCharsets.UTF_8),
                    "/dev/null", ""));
        }
        return out;
    }

    /** Files in {@code dir} that plan wrote for sites no longer in the topology. */
    public List<Path> stale(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> SiteFiles.siteOf(p.getFileName().toString()).filter(n -> !sites().contains(n)).isPresent())
                    .filter(Plan::writtenByPlan).sorted().toList();
        }
    }

    /**
     * Files in {@code dir} that plan would overwrite but did not write (no header): someone's hand-written site
     * file, which plan leaves alone.
     */
    public List<Path> foreign(Path dir) {
        return sites().stream().map(n -> dir.resolve(n + ".yaml"))
                .filter(p -> Files.exists(p) && !writtenByPlan(p)).toList();
    }

    /**
     * Writes every file into {@code dir} (created if missing), each through a temporary file and a rename, mode 0644
     * (they hold no secret; sitelink refuses site files others may write). Returns the files that changed.
     */
    public List<String> write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> changed = new ArrayList<>();
        for (String site : sites()) {
            Path target = dir.resolve(site + ".yaml");
            String text = file(site);
            if (Files.exists(target) && Files.readString(target, StandardCharsets.UTF_8).equals(text)) {
                continue;
            }
            AtomicFiles.replace(target, text, StandardCharsets.UTF_8, "rw-r--r--");
            changed.add(target.getFileName().toString());
        }
        return changed;
    }

    private static boolean writtenByPlan(Path p) {
        try (Stream<String> lines = Files.lines(p, StandardCharsets.UTF_8)) {
            return lines.findFirst().filter(l -> l.startsWith(SiteFiles.HEADER)).isPresent();
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }
}
