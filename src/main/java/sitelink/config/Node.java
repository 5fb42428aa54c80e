package sitelink.config;

import java.util.List;
import java.util.Optional;

/**
 * The parsed file before it has a meaning: mappings, lists and scalars, each remembering where it was written.
 * Both formats (YAML site files and wg-quick .conf files) become this tree, so one validator gives both the same
 * checks and every semantic error still points at the line and column the user typed.
 */
public sealed interface Node {
    Location location();

    /** What this node is, for "expected a list, found a mapping" messages. */
    String kind();

    /** A scalar as written (numbers too: the validator parses them, so it can say what is wrong with them). */
    record Scalar(String text, boolean isNull, Location location) implements Node {
        public String kind() {
            return isNull ? "an empty value" : "a single value";
        }
    }

    /**
     * One "key: value" pair. {@code key} is the snake_case name the validator knows; {@code label} is how the user
     * wrote it (the same in YAML, {@code PublicKey} in a wg-quick file) and is what messages show.
     */
    record Field(String key, String label, Location keyLocation, Node value) {
    }

    record Mapping(List<Field> fields, Location location) implements Node {
        public Mapping {
            fields = List.copyOf(fields);
        }

        public Optional<Field> field(String key) {
            return fields.stream().filter(f -> f.key().equals(key)).findFirst();
        }

        public String kind() {
            return "a mapping (key: value lines)";
        }
    }

    record Sequence(List<Node> items, Location location) implements Node {
        public Sequence {
            items = List.copyOf(items);
        }

        public String kind() {
            return "a list";
        }
    }
}
