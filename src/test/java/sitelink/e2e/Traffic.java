package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import sitelink.testbed.Command;
import sitelink.testbed.Proc;
import sitelink.testbed.Namespace;

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
    public static void awaitPing(Namespace from, String to, Duration timeout) {
        E2e.await(timeout, "a ping reply from " + to + " in " + from,
                () -> from.exec("ping", "-n", "-c", "1", "-W", "2", to).ok(),
                () -> from.exec("ping", "-n", "-c", "1", "-W", "1", to).describe());
    }

    /** {@code ping -c COUNT -i INTERVAL}, waiting for it to finish. */
    public static Ping ping(Namespace from, String to, int count, double interval) {
        Duration timeout = Duration.ofMillis((long) (count * interval * 1000) + 15_000);
        Command.Result r = from.exec(timeout, "ping", "-n", "-q", "-c", Integer.toString(count), "-i",
                Double.toString(interval), "-W", "2", to);
        return parse(r.stdout() + r.stderr());
    }

    /** Starts a long ping in the background; read it with {@link #parse} after it exits. */
    public static Proc startPing(Namespace from, String to, int count, double interval) {
        return from.start("ping", "-n", "-q", "-c", Integer.toString(count), "-i", Double.toString(interval),
                "-W", "2", to);
    }

    /** Starts a ping that runs until {@link #stopPing} and prints every reply (for per-packet accounting). */
    public static Proc startEndlessPing(Namespace from, String to, double interval) {
        return from.start("ping", "-n", "-i", Double.toString(interval), "-W", "2", to);
    }

    /**
     * Stops a ping from {@link #startEndlessPing} with SIGINT, as Ctrl-C does (so it prints its summary), and returns
     * the sequence numbers that got no reply. The last request sent is left out: it may still have been on its way
     * when the ping was stopped.
     */
    public static Lost stopPing(Proc ping) {
        ping.signal("INT");
        ping.waitFor(Duration.ofSeconds(10));
        Ping summary = parse(ping.output());
        Set<Integer> replied = new HashSet<>();
        Matcher m = REPLY.matcher(summary.output());
        while (m.find()) replied.add(Integer.parseInt(m.group(1)));
        List<Integer> lost = new ArrayList<>();
        for (int seq = 1; seq < summary.transmitted(); seq++) {
            if (!replied.contains(seq)) lost.add(seq);
        }
        return new Lost(summary.transmitted() - 1, lost);
    }

    /** Of {@code counted} echo requests, the sequence numbers of those without a reply. */
    public record Lost(int counted, List<Integer> sequences) {}

    private static final Pattern REPLY = Pattern.compile("bytes from .*icmp_seq=(\\d+)");

    public static Ping parse(String pingOutput) {
        Matcher m = SUMMARY.matcher(pingOutput);
        if (!m.find()) fail("no ping summary in:\n" + pingOutput);
        return new Ping(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), pingOutput);
    }
}
