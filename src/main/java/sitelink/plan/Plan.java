package sitelink.plan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import sitelink.config.ConfigProblem;
import sitelink.config.Location;
import sitelink.config.SiteFile;

/**
 * {@code sitelink plan}: a topology file checked and turned into one site file per site, each validated as
 * {@code sitelink check} validates a hand-written one; then either written to a directory or compared with what is
 * there ({@code --diff}).
 *
 * @param problems every problem of the topology (and of a generated file, which would be a bug in plan)
 * @param files    each site's file text by site name; empty when there is an error
 */
public record Plan(List<ConfigProblem> problems, Map<String, String> files) {
    public Plan {
        problems = List.copyOf(problems);
        files = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    public boolean ok() {
        return problems.stream().noneMatch(ConfigProblem::isError);
    }

    /** Plans the topology in {@code text}; {@code displayName} is the file name messages and headers show. */
    public static Plan of(String displayName, String text) {
        TopologyFile.Result r = TopologyFile.parse(displayName, text);
        if (r.topology().isEmpty()) {
            return new Plan(r.problems(), Map.of());
        }
        String source = Path.of(displayName).getFileName().toString();
        Map<String, String> files = SiteFiles.write(r.topology().get(), source);
        List<ConfigProblem> problems = new ArrayList<>(r.problems());
        files.forEach((site, text1) -> problems.addAll(validate(site, text1)));
        return new Plan(problems, problems.stream().anyMatch(ConfigProblem::isError) ? Map.of() : files);
    }

    public static Plan load(Path topology) {
        try {
            return of(topology.toString(), Files.readString(topology, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Plan(List.of(ConfigProblem.error(new Location(topology.toString(), 1, 1), "cannot read the "
                    + "topology file (" + e.getClass().getSimpleName() + "); check the path and that you may read it")),
                    Map.of());
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
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path p = dir.resolve(e.getKey() + ".yaml");
            boolean exists = Files.exists(p);
            String old = exists ? Files.readString(p, StandardCharsets.UTF_8) : "";
            String d = UnifiedDiff.diff(exists ? p.toString() : "/dev/null", old, p.toString(), e.getValue());
            if (!d.isEmpty()) {
                out.put(e.getKey() + ".yaml", d);
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
            return s.filter(p -> SiteFiles.siteOf(p.getFileName().toString()).filter(n -> !files.containsKey(n)).isPresent())
                    .filter(Plan::writtenByPlan).sorted().toList();
        }
    }

    /**
     * Files in {@code dir} that plan would overwrite but did not write (no header): someone's hand-written site
     * file, which plan leaves alone.
     */
    public List<Path> foreign(Path dir) {
        return files.keySet().stream().map(n -> dir.resolve(n + ".yaml"))
                .filter(p -> Files.exists(p) && !writtenByPlan(p)).toList();
    }

    /**
     * Writes every file into {@code dir} (created if missing), each through a temporary file and a rename, mode 0644
     * (they hold no secret; sitelink refuses site files others may write). Returns the files that changed.
     */
    public List<String> write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> changed = new ArrayList<>();
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path target = dir.resolve(e.getKey() + ".yaml");
            if (Files.exists(target) && Files.readString(target, StandardCharsets.UTF_8).equals(e.getValue())) {
                continue;
            }
            Path tmp = Files.createTempFile(dir, "." + e.getKey() + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            try {
                Files.writeString(tmp, e.getValue(), StandardCharsets.UTF_8);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
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
