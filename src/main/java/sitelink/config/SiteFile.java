package sitelink.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A site file read and validated: the {@link SiteConfig} when it has no error, and every problem found either way.
 * Reading it changes nothing on the machine; {@link SystemChecks} then looks at the machine (ports, owners and modes
 * of the site file, key files and hook) before {@code check} reports or {@code up} applies.
 *
 * @param path        the file it was read from (empty when parsed from text, or when it could not be read)
 * @param config      present exactly when {@code problems} holds no error
 * @param keyFiles    key files the site names, for {@link SystemChecks}
 * @param listenPortAt where listen_port was written (empty when the system picks the port)
 * @param hook        the events hook the site names, for {@link SystemChecks}
 * @param inlineKey   a private or preshared key is written in the file itself, which makes the file a secret
 * @param ikeAt       where the first IKEv2 remote site says {@code protocol: ikev2} (empty without one), for
 *                    {@link SystemChecks}' test of UDP 500 and 4500
 */
public record SiteFile(String displayName, Optional<Path> path, Optional<SiteConfig> config, List<ConfigProblem> problems,
                       List<KeyFile> keyFiles, int listenPort, Optional<Location> listenPortAt, Optional<Hook> hook,
                       boolean inlineKey, Optional<Location> ikeAt) {
    public SiteFile {
        problems = List.copyOf(problems);
        keyFiles = List.copyOf(keyFiles);
    }

    /** A key file named by the site ({@code label} is the field that named it). */
    public record KeyFile(String label, Path path, Location location) {
    }

    /** The {@code events: {hook: PATH}} command and where the file names it. */
    public record Hook(Path path, Location location) {
    }

    public enum Format {
        /** sitelink's own site file, see docs/configuration.md. */
        YAML,
        /** A wg-quick(8) .conf file, accepted as it is. */
        WG_QUICK;

        /** By extension (.conf, .yaml, .yml); otherwise a file whose first line is a [Section] is wg-quick. */
        public static Format detect(String fileName, String text) {
            String n = fileName.toLowerCase(Locale.ROOT);
            if (n.endsWith(".conf")) {
                return WG_QUICK;
            }
            if (n.endsWith(".yaml") || n.endsWith(".yml")) {
                return YAML;
            }
            return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).findFirst()
                    .filter(l -> l.equalsIgnoreCase("[Interface]") || l.equalsIgnoreCase("[Peer]"))
                    .map(l -> WG_QUICK).orElse(YAML);
        }
    }

    /** Reads and validates {@code path}; key files named in it are relative to its directory. */
    public static SiteFile load(Path path) {
        String shown = path.toString();
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            ConfigProblem p = ConfigProblem.error(new Location(shown, 1, 1), "cannot read the site file ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + "); check the path and that you may read it");
            return new SiteFile(shown, Optional.empty(), Optional.empty(), List.of(p), List.of(), 0, Optional.empty(),
                    Optional.empty(), false, Optional.empty());
        }
        Path dir = path.toAbsolutePath().getParent();
        String fileName = path.getFileName().toString();
        return parse(shown, Optional.of(path), text, dir, Format.detect(fileName, text));
    }

    /** Validates {@code text} as if it were the file {@code displayName} in directory {@code baseDir}. */
    public static SiteFile parse(String displayName, String text, Path baseDir, Format format) {
        return parse(displayName, Optional.empty(), text, baseDir, format);
    }

    private static SiteFile parse(String displayName, Optional<Path> path, String text, Path baseDir, Format format) {
        List<ConfigProblem> problems = new ArrayList<>();
        Optional<Node> root;
        if (format == Format.WG_QUICK) {
            String base = Path.of(displayName).getFileName().toString();
            if (base.toLowerCase(Locale.ROOT).endsWith(".conf")) {
                base = base.substring(0, base.length() - ".conf".length());
            }
            root = Optional.of(WgQuickSource.read(displayName, base, text, problems));
        } else {
            root = YamlSource.read(displayName, text, problems);
        }
        if (root.isEmpty()) {
            return new SiteFile(displayName, path, Optional.empty(), problems, List.of(), 0, Optional.empty(), Optional.empty(),
                    false, Optional.empty());
        }
        SiteValidator.Result r = SiteValidator.validate(root.get(), baseDir, format == Format.WG_QUICK, problems);
        // In file order, as a compiler lists them: the user fixes them top to bottom.
        problems.sort(Comparator.comparingInt((ConfigProblem p) -> p.location().line()).thenComparingInt(p -> p.location().column()));
        return new SiteFile(displayName, path, r.config(), problems, r.keyFiles(), r.listenPort(), r.listenPortAt(), r.hook(),
                r.inlineKey(), r.ikeAt());
    }

    public List<ConfigProblem> errors() {
        return problems.stream().filter(ConfigProblem::isError).toList();
    }

    /** The configuration, or every error in one exception. */
    public SiteConfig orThrow() throws ConfigException {
        if (config.isEmpty()) {
            throw new ConfigException(errors());
        }
        return config.get();
    }
}
