package sitelink.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import sitelink.config.Endpoint;
import sitelink.crypto.Key;
import sitelink.route.Prefix;

/**
 * What a site's agent publishes in etcd under {@code /sitelink/v1/sites/NAME}, attached to its lease: its public key
 * (never the private one), the endpoint where the others reach it (when the agent was told one) and its subnets.
 * The text is a few {@code field: value} lines, readable with {@code etcdctl get}:
 * <pre>
 * public_key: yJV5iX7Y5Sz0nf2IGEyoCLf81iRNXimU9Wz2QL7gP38=
 * endpoint: 203.0.113.12:51820
 * subnets: 198.18.12.0/24, 2001:db8:12::/64
 * </pre>
 */
public record SiteRecord(Key publicKey, Optional<Endpoint> endpoint, List<Prefix> subnets) {
    public SiteRecord {
        subnets = List.copyOf(subnets);
    }

    public String format() {
        StringBuilder b = new StringBuilder("public_key: ").append(publicKey.toBase64()).append('\n');
        endpoint.ifPresent(e -> b.append("endpoint: ").append(e).append('\n'));
        b.append("subnets: ").append(String.join(", ", subnets.stream().map(Prefix::toString).toList())).append('\n');
        return b.toString();
    }

    /** The record in {@code text}, or why it is not one (a message naming the field). */
    public static Parsed parse(String text) {
        Key key = null;
        Optional<Endpoint> endpoint = Optional.empty();
        List<Prefix> subnets = new ArrayList<>();
        try {
            for (String line : text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    return new Parsed.Bad("line '" + line + "' is not 'field: value'");
                }
                String field = line.substring(0, colon).strip();
                String value = line.substring(colon + 1).strip();
                switch (field) {
                    case "public_key" -> key = Key.fromBase64(value);
                    case "endpoint" -> endpoint = Optional.of(Endpoint.parse(value));
                    case "subnets" -> {
                        for (String p : value.split(",")) {
                            if (!p.isBlank()) {
                                subnets.add(Prefix.parse(p.strip()));
                            }
                        }
                    }
                    default -> {
                        // A newer agent may publish more: what this one does not know it leaves alone.
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            return new Parsed.Bad(e.getMessage());
        }
        return key == null ? new Parsed.Bad("no public_key") : new Parsed.Ok(new SiteRecord(key, endpoint, subnets));
    }

    /** A record read from etcd: one, or why not. */
    public sealed interface Parsed {
        record Ok(SiteRecord record) implements Parsed {
        }

        record Bad(String why) implements Parsed {
        }
    }
}
