package sitelink.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * @param byKey each key's first field, for {@link #field}: the validator looks up every field it knows in every
     *              mapping, and comparing the keys one by one was a tenth of the site-file fuzzer's time (Jazzer
     *              traces each string comparison); built from {@code fields} by the two-argument constructor
     */
    record Mapping(List<Field> fields, Location location, Map<String, Field> byKey) implements Node {
        public Mapping {
            fields = List.copyOf(fields);
            byKey = Map.copyOf(byKey);
        }

        public Mapping(List<Field> fields, Location location) {
            this(fields, location, firstByKey(fields));
        }

        private static Map<String, Field> firstByKey(List<Field> fields) {
            Map<String, Field> m = new HashMap<>();
            for (Field f : fields) {
                if (f.key() != null) {
                    m.putIfAbsent(f.key(), f);
                }
            }
            return m;
        }

        /** The first field with this key (a key written twice is an error the reader reports). */
        public Optional<Field> field(String key) {
            return Optional.ofNullable(byKey.get(key));
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
