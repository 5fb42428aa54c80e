package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Ping across a tunnel, the way a user checks it. */
public final class Traffic {
    private Traffic() {}

    private static final Pattern SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");

    public record Ping(int transmitted, int received, String output) {
        public boolean lossless() {
            return transmitted > 0 && received == transmitted;
        }
    }

    /** Pings until one reply comes back (the first packet waits for the handshake), within {@code timeout}. */
    public static void awaitPing(Netns from, String to, Duration timeout) {
        E2e.await(timeout, "a ping reply from " + to + " in " + from,
                () -> from.exec("ping", "-n", "-c", "1", "-W", "2", to).ok(),
                () -> from.exec("ping", "-n", "-c", "1", "-W", "1", to).describe());
    }

    /** {@code ping -c COUNT -i INTERVAL}, waiting for it to finish. */
    public static Ping ping(Netns from, String to, int count, double interval) {
        Duration timeout = Duration.ofMillis((long) (count * interval * 1000) + 15_000);
        Netns.Result r = from.exec(timeout, "ping", "-n", "-q", "-c", Integer.toString(count), "-i",
                Double.toString(interval), "-W", "2", to);
        return parse(r.stdout() + r.stderr());
    }

    /** Starts a long ping in the background; read it with {@link #parse} after it exits. */
    public static Proc startPing(Netns from, String to, int count, double interval) {
        return from.start("ping", "-n", "-q", "-c", Integer.toString(count), "-i", Double.toString(interval),
                "-W", "2", to);
    }

    public static Ping parse(String pingOutput) {
        Matcher m = SUMMARY.matcher(pingOutput);
        if (!m.find()) fail("no ping summary in:\n" + pingOutput);
        return new Ping(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), pingOutput);
    }
}
