package sitelink.ike;

import java.util.Locale;
import java.util.Optional;

/**
 * A site's {@code post_quantum} setting: whether the IKE SA adds ML-KEM-768 to its classical key exchange (RFC 9370,
 * hybrid). {@code REQUIRED}: only hybrid proposals, a peer without ML-KEM is refused; {@code PREFERRED} (the default):
 * hybrid first, classical accepted and reported as "classical only"; {@code OFF}: classical only.
 */
public enum PostQuantum {
    REQUIRED, PREFERRED, OFF;

    public static final PostQuantum DEFAULT = PREFERRED;

    /** From the site file's word ({@code required}, {@code preferred}, {@code off}), or empty. */
    public static Optional<PostQuantum> parse(String word) {
        return switch (word.trim().toLowerCase(Locale.ROOT)) {
            case "required" -> Optional.of(REQUIRED);
            case "preferred" -> Optional.of(PREFERRED);
            case "off", "no", "false" -> Optional.of(OFF);
            default -> Optional.empty();
        };
    }

    /** As the site file writes it. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
