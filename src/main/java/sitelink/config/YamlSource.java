package sitelink.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a YAML site file into a located {@link Node} tree with Jackson's streaming parser, which reports where each
 * token starts. Data binding would lose those positions, and then a semantic error ("overlaps line 7") could not
 * say where it is.
 */
final class YamlSource {
    private static final YAMLFactory FACTORY = YAMLFactory.builder().build();
    /** Line breaks as YAML 1.1 counts them. */
    private static final Pattern LINE_BREAK = Pattern.compile("\r\n|[\r\n\u0085\u2028\u2029]");

    private final String file;
    private final List<ConfigProblem> problems;

    private YamlSource(String file, List<ConfigProblem> problems) {
        this.file = file;
        this.problems = problems;
    }

    /** The document's root node, or empty (with a problem added) when the text is not YAML. */
    static Optional<Node> read(String file, String text, List<ConfigProblem> problems) {
        YamlSource s = new YamlSource(file, problems);
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                problems.add(ConfigProblem.error(new Location(file, 1, 1),
                        "the file is empty; start from the example in docs/configuration.md"));
                return Optional.empty();
            }
            Node root = s.value(p, t);
            if (p.nextToken() != null) {
                problems.add(ConfigProblem.error(s.here(p),
                        "a second YAML document starts here; a site file holds one site: move it to its own file"));
            }
            return Optional.of(root);
        } catch (StreamReadException e) {
            problems.add(syntaxError(file, text, e));
            return Optional.empty();
        } catch (IOException e) {
            problems.add(ConfigProblem.error(new Location(file, 1, 1), "cannot read the file: " + e.getMessage()));
            return Optional.empty();
        }
    }

    /** SnakeYAML knows both where the problem is and what it was parsing; Jackson's message keeps only the latter. */
    private static ConfigProblem syntaxError(String file, String text, StreamReadException e) {
        String fix = "; check the indentation (spaces, not tabs) and quote values that contain ': ' or '#' "
                + "or start with '[' (an IPv6 endpoint: \"[2001:db8::2]:51820\")";
        if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
            Mark at = m.getProblemMark();
            String context = m.getContext() == null ? "" : ", " + m.getContext();
            return ConfigProblem.error(onItsLine(file, text, at.getLine() + 1, at.getColumn() + 1),
                    "this is not valid YAML (" + m.getProblem() + context + ")" + fix);
        }
        JsonLocation l = e.getLocation();
        Location at = l == null ? new Location(file, 1, 1) : new Location(file, Math.max(1, l.getLineNr()), Math.max(1, l.getColumnNr()));
        String what = e.getOriginalMessage().lines().findFirst().orElse("syntax error").strip();
        return ConfigProblem.error(at, "this is not valid YAML (" + what + ")" + fix);
    }

    /**
     * SnakeYAML counts a '\r' that ends the text as a column rather than a line break, so a problem at the end of the
     * text can lie one column past the end of its line: it is put at the end of that line, where the text ends.
     */
    private static Location onItsLine(String file, String text, int line, int column) {
        String[] lines = LINE_BREAK.split(text, -1);
        int l = Math.min(Math.max(1, line), lines.length);
        return new Location(file, l, Math.min(Math.max(1, column), lines[l - 1].length() + 1));
    }

    private Node value(JsonParser p, JsonToken t) throws IOException {
        Location at = here(p);
        return switch (t) {
            case START_OBJECT -> mapping(p, at);
            case START_ARRAY -> sequence(p, at);
            case VALUE_NULL -> new Node.Scalar("", true, at);
            default -> new Node.Scalar(p.getText(), false, at);
        };
    }

    private Node mapping(JsonParser p, Location at) throws IOException {
        List<Node.Field> fields = new ArrayList<>();
        Map<String, Location> seen = new HashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            Location keyAt = here(p);
            Node v = value(p, p.nextToken());
            Location first = seen.putIfAbsent(key, keyAt);
            if (first != null) {
                // YAML forbids duplicate keys; a parser that silently keeps the last one hides a half-edited file.
                problems.add(ConfigProblem.error(keyAt, "'" + key + "' appears twice in this mapping (first at line "
                        + first.line() + "); keep only one"));
                continue;
            }
            fields.add(new Node.Field(key, key, keyAt, v));
        }
        return new Node.Mapping(fields, at);
    }

    private Node sequence(JsonParser p, Location at) throws IOException {
        List<Node> items = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            items.add(value(p, t));
        }
        return new Node.Sequence(items, at);
    }

    private Location here(JsonParser p) {
        JsonLocation l = p.currentTokenLocation();
        return new Location(file, l.getLineNr(), l.getColumnNr());
    }
}
