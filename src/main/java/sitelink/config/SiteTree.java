package sitelink.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A site file's tree before validation ({@link Node}: every value with the line it was written on), for tools that
 * point at lines the validated {@link SiteConfig} no longer remembers, such as {@code sitelink audit}.
 */
public final class SiteTree {
    private SiteTree() {
    }

    /** The tree of {@code path}, or empty when it cannot be read or parsed (its {@link SiteFile} says why). */
    public static Optional<Node> read(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return Optional.empty();
        }
        String shown = path.toString();
        String fileName = path.getFileName().toString();
        List<ConfigProblem> ignored = new ArrayList<>();
        if (SiteFile.Format.detect(fileName, text) == SiteFile.Format.WG_QUICK) {
            String base = fileName.toLowerCase(Locale.ROOT).endsWith(".conf")
                    ? fileName.substring(0, fileName.length() - ".conf".length()) : fileName;
            return Optional.of(WgQuickSource.read(shown, base, text, ignored));
        }
        return YamlSource.read(shown, text, ignored);
    }

    /**
     * A YAML document's located tree for other YAML files sitelink reads (the topology of {@code sitelink plan}): the
     * same reader as site files, so syntax errors and duplicate keys read the same; problems go to {@code problems}.
     */
    public static Optional<Node> parseYaml(String displayName, String text, List<ConfigProblem> problems) {
        return YamlSource.read(displayName, text, problems);
    }
}
