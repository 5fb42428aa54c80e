package sitelink.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import sitelink.policy.Rule.PortRange;
import sitelink.policy.Rule.Protocol;
import sitelink.policy.Rule.Scope;
import sitelink.route.Prefix;

/**
 * Reads rules from their text form and from the maps a YAML loader produces (syntax in docs/policy.md):
 * <pre>
 * allow DIRECTION [PROTOCOL] [src PREFIX|any] [[dst] PREFIX|any] [port PORTS] [type TYPES]
 *   DIRECTION  to | from | both
 *   PROTOCOL   tcp | udp | icmp | icmpv6 | any      (default any)
 *   PORTS      443 | 8000-8080 | 22,443,8000-8080   (destination ports; tcp/udp only)
 *   TYPES      8 | 0,8,3                            (ICMP types; icmp/icmpv6 only)
 * </pre>
 * Errors are {@link IllegalArgumentException}s whose message names the offending word.
 */
public final class Rules {
    private static final Set<String> MAP_KEYS = Set.of("direction", "protocol", "source", "destination", "ports",
            "icmp-types");

    private Rules() {
    }

    /** Parses one rule such as {@code allow to tcp 198.18.2.10/32 port 443}. */
    public static Rule parse(String text) {
        List<String> words = List.of(text.strip().split("\\s+"));
        try {
            return parseWords(words);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rule '" + text.strip() + "': " + e.getMessage(), e);
        }
    }

    /** Parses one rule per line; blank lines and {@code #} comments are skipped. Errors name the line number. */
    public static List<Rule> parseAll(String text) {
        List<Rule> rules = new ArrayList<>();
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            if (line.isBlank()) {
                continue;
            }
            try {
                rules.add(parse(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return rules;
    }

    private static Rule parseWords(List<String> w) {
        if (w.isEmpty() || !w.get(0).equals("allow")) {
            throw new IllegalArgumentException("a rule starts with 'allow'");
        }
        if (w.size() < 2) {
            throw new IllegalArgumentException("missing direction (to, from or both)");
        }
        Scope scope = scope(w.get(1));
        int i = 2;
        Protocol protocol = Protocol.ANY;
        if (i < w.size() && isProtocol(w.get(i))) {
            protocol = protocol(w.get(i++));
        }
        Optional<Prefix> src = Optional.empty();
        Optional<Prefix> dst = Optional.empty();
        List<PortRange> ports = List.of();
        List<Integer> types = List.of();
        boolean dstSeen = false;
        while (i < w.size()) {
            String word = w.get(i++);
            switch (word) {
                case "src", "dst", "port", "ports", "type", "types" -> {
                    if (i == w.size()) {
                        throw new IllegalArgumentException("'" + word + "' needs a value");
                    }
                    String value = w.get(i++);
                    switch (word) {
                        case "src" -> src = prefix(value);
                        case "dst" -> {
                            dst = prefix(value);
                            dstSeen = true;
                        }
                        case "port", "ports" -> ports = ports(value);
                        default -> types = types(value);
                    }
                }
                default -> {
                    if (dstSeen) {
                        throw new IllegalArgumentException("unexpected '" + word + "'");
                    }
                    dst = prefix(word); // a bare prefix is the destination
                    dstSeen = true;
                }
            }
        }
        return new Rule(scope, protocol, src, dst, ports, types);
    }

    /**
     * Builds a rule from a map with keys {@code direction} (required), {@code protocol}, {@code source},
     * {@code destination}, {@code ports} (a number, a "a-b"/"a,b" string or a list of those) and {@code icmp-types}
     * (a number or a list) — the shape a YAML site file gives.
     */
    public static Rule fromMap(Map<String, ?> m) {
        for (String k : m.keySet()) {
            if (!MAP_KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown rule key '" + k + "' (known: " + MAP_KEYS + ")");
            }
        }
        Object d = m.get("direction");
        if (d == null) {
            throw new IllegalArgumentException("rule needs a direction (to, from or both)");
        }
        Protocol protocol = m.containsKey("protocol") ? protocol(String.valueOf(m.get("protocol"))) : Protocol.ANY;
        Optional<Prefix> src = m.containsKey("source") ? prefix(String.valueOf(m.get("source"))) : Optional.empty();
        Optional<Prefix> dst = m.containsKey("destination") ? prefix(String.valueOf(m.get("destination")))
                : Optional.empty();
        List<PortRange> ports = new ArrayList<>();
        for (Object o : asList(m.get("ports"))) {
            ports.addAll(ports(String.valueOf(o)));
        }
        List<Integer> types = new ArrayList<>();
        for (Object o : asList(m.get("icmp-types"))) {
            types.addAll(types(String.valueOf(o)));
        }
        return new Rule(scope(String.valueOf(d)), protocol, src, dst, ports, types);
    }

    private static List<?> asList(Object o) {
        return o == null ? List.of() : o instanceof List<?> l ? l : List.of(o);
    }

    private static Scope scope(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "to" -> Scope.TO;
            case "from" -> Scope.FROM;
            case "both" -> Scope.BOTH;
            default -> throw new IllegalArgumentException("direction '" + s + "' is not to, from or both");
        };
    }

    private static boolean isProtocol(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "tcp", "udp", "icmp", "icmpv6", "any" -> true;
            default -> false;
        };
    }

    private static Protocol protocol(String s) {
        if (!isProtocol(s)) {
            throw new IllegalArgumentException("protocol '" + s + "' is not tcp, udp, icmp, icmpv6 or any");
        }
        return Protocol.valueOf(s.toUpperCase(Locale.ROOT));
    }

    private static Optional<Prefix> prefix(String s) {
        return s.equals("any") ? Optional.empty() : Optional.of(Prefix.parse(s));
    }

    private static List<PortRange> ports(String s) {
        List<PortRange> out = new ArrayList<>();
        for (String part : s.split(",")) {
            int dash = part.indexOf('-');
            out.add(dash < 0 ? PortRange.of(number(part, 65535, "port"))
                    : new PortRange(number(part.substring(0, dash), 65535, "port"),
                            number(part.substring(dash + 1), 65535, "port")));
        }
        return out;
    }

    private static List<Integer> types(String s) {
        List<Integer> out = new ArrayList<>();
        for (String part : s.split(",")) {
            out.add(number(part, 255, "ICMP type"));
        }
        return out;
    }

    private static int number(String s, int max, String what) {
        String t = s.strip();
        if (t.isEmpty() || t.length() > 5 || !t.chars().allMatch(Character::isDigit) || Integer.parseInt(t) > max) {
            throw new IllegalArgumentException(what + " '" + s + "' is not a number in 0.." + max);
        }
        return Integer.parseInt(t);
    }
}
