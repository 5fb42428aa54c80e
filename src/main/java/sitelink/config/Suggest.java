package sitelink.config;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean" for misspelt field and command names: the known name within a small edit distance, if there is one.
 */
public final class Suggest {
    private Suggest() {
    }

    public static String unknownField(String written, List<String> known, String where) {
        return unknownField(written, known, known, where);
    }

    /** As above, suggesting from {@code known} but listing only {@code listed} (the fields that fit where it is). */
    static String unknownField(String written, List<String> known, List<String> listed, String where) {
        Optional<String> best = closest(written, known);
        if (best.isPresent()) {
            return "unknown field '" + written + "' in " + where + "; did you mean '" + best.get() + "'?";
        }
        return "unknown field '" + written + "' in " + where + "; remove it (known fields: " + String.join(", ", listed) + ")";
    }

    /** The known name closest to {@code written}, if it is close enough to be what was meant. */
    public static Optional<String> closest(String written, Collection<String> known) {
        // Two edits catch a swapped pair or a dropped letter; more would suggest unrelated names.
        int limit = Math.min(2, Math.max(1, written.length() / 3));
        String w = written.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            // The distance is at least the difference in length: a name that much longer or shorter cannot be
            // suggested, and a long unknown key (a pasted line) costs no table of its length times each name's.
            String kl = k.toLowerCase(Locale.ROOT);
            if (Math.abs(kl.length() - w.length()) > limit) {
                continue;
            }
            int d = distance(w, kl);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= limit ? Optional.of(best) : Optional.empty();
    }

    /** Optimal string alignment distance: Levenshtein plus transposition of two neighbours. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
