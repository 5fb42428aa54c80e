package sitelink.control;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/** Words for a status: byte counts and ages as {@code wg show} writes them, and one line per remote site. */
public final class StatusFormat {
    private StatusFormat() {
    }

    /**
     * "office-b: endpoint 203.0.113.2:51820, latest handshake 3 seconds ago, transfer 33.61 MiB received, 1.02 MiB
     * sent" — {@code site} is the remote site's name from the site file.
     */
    public static String peerLine(String site, PeerStatus p, Instant now) {
        return site + ": endpoint " + p.endpoint().orElse("(none yet)")
                + ", latest handshake " + p.lastHandshake().map(t -> ago(Duration.between(t, now))).orElse("never")
                + ", transfer " + bytes(p.rxBytes()) + " received, " + bytes(p.txBytes()) + " sent";
    }

    /** "3 seconds ago", "1 minute, 5 seconds ago" (as wg show). */
    public static String ago(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s == 0) {
            return "just now";
        }
        StringBuilder b = new StringBuilder();
        long[] parts = {s / 86400, s / 3600 % 24, s / 60 % 60, s % 60};
        String[] units = {"day", "hour", "minute", "second"};
        for (int i = 0; i < parts.length; i++) {
            if (parts[i] != 0) {
                if (!b.isEmpty()) {
                    b.append(", ");
                }
                b.append(parts[i]).append(' ').append(units[i]).append(parts[i] == 1 ? "" : "s");
            }
        }
        return b.append(" ago").toString();
    }

    /** "812 B", "4.25 KiB", "33.61 MiB", "1.20 GiB" (as wg show). */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }
}
