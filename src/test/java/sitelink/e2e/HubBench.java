package sitelink.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import sitelink.testbed.Command;

/**
 * The hub benchmark (bench/hub, docs/benchmarks.md "A hub with 1,000 spokes"), as root:
 * {@code HubBench SPOKES SOURCES ECHO_SECONDS STEADY_SECONDS NICENESS}. In namespaces of its own: the hub up first, then all
 * SPOKES at once (a cold start: every spoke's first handshake in the same second), time until the hub's
 * {@code sitelink status} counts all ESTABLISHED; STEADY_SECONDS of steady traffic (each spoke an echo every
 * ECHO_SECONDS), the hub's CPU over them; then the hub restarted (SIGTERM, {@code sitelink up} again) under the
 * running spokes, time until all are ESTABLISHED again. Prints each figure, the hub's counters that matter for a
 * burst of handshakes, how long {@code status} takes, and the load average, as lines {@code hub-bench: ...}.
 */
public final class HubBench {
    private HubBench() {}

    public static void main(String[] args) throws Exception {
        int spokes = Integer.parseInt(args[0]), sources = Integer.parseInt(args[1]);
        double echo = Double.parseDouble(args[2]);
        int steady = Integer.parseInt(args[3]);
        int niceness = Integer.parseInt(args[4]);
        List<String> report = new ArrayList<>();
        try (HubAndSpokes net = HubAndSpokes.create(spokes, sources)) {
            report.add(String.format("%d spokes on %d source addresses, an echo per spoke every %.1f s, simulator at nice "
                    + "%d; load average at start %s", spokes, sources, echo, niceness, loadAverage()));
            long hubStart = net.startHub();
            long hubUp = System.nanoTime();
            long idleRss = net.rssKib();
            report.add(String.format("hub up (routes in place) %.1f s after 'sitelink up'; RSS %d MiB, %d threads",
                    (hubUp - hubStart) / 1e9, idleRss / 1024, net.threads()));
            Map<String, Long> before = counters(net);
            double cpu0 = net.cpuSeconds();
            long spokesStart = System.nanoTime();
            net.startSpokes(sources, echo, niceness);
            long all = net.awaitAllEstablished(Duration.ofMinutes(10));
            report.add(String.format("cold start: all %d ESTABLISHED %.1f s after the spokes started (hub CPU %.1f s); "
                    + "simulator: %s", spokes, (all - spokesStart) / 1e9, net.cpuSeconds() - cpu0,
                    net.simulator().lines().stream().filter(l -> l.startsWith("all ")).findFirst().orElse("-")));
            report.add("  hub counters during the cold start: " + delta(before, counters(net)));
            E2e.await(Duration.ofSeconds(60), "an echo reply for every spoke", () -> net.report().replied() == spokes,
                    () -> net.report().toString());

            double cpu1 = net.cpuSeconds();
            long t1 = System.nanoTime();
            HubAndSpokes.Report r1 = net.report();
            Thread.sleep(steady * 1000L);
            double cpu = (net.cpuSeconds() - cpu1) / ((System.nanoTime() - t1) / 1e9);
            HubAndSpokes.Report r2 = net.report();
            long rss = net.rssKib();
            report.add(String.format("steady %d s: hub CPU %.1f%% of one core, RSS %d MiB (%.1f KiB per remote site "
                    + "over the idle hub's %d MiB), %d threads; echoes %d sent, %d intact, %d bad; load average %s",
                    steady, 100 * cpu, rss / 1024, (rss - idleRss) / (double) spokes, idleRss / 1024, net.threads(),
                    r2.echoSent() - r1.echoSent(), r2.echoOk() - r1.echoOk(), r2.echoBad(), loadAverage()));
            report.add("  " + timed(net, "status --summary") + "; " + timed(net, "status") + "; "
                    + timed(net, "status --all") + "; " + timed(net, "status --json"));

            net.stopHub();
            long restart = net.startHub();
            Map<String, Long> atRestart = counters(net);
            long back = net.awaitAllEstablished(Duration.ofMinutes(10));
            report.add(String.format("hub restart: all %d ESTABLISHED again %.1f s after 'sitelink up' (the spokes' "
                    + "new-handshake timer: 15 s after their data goes unanswered); RSS %d MiB; load average %s",
                    spokes, (back - restart) / 1e9, net.rssKib() / 1024, loadAverage()));
            report.add("  hub counters during the restart: " + delta(atRestart, counters(net)));
            E2e.await(Duration.ofSeconds(60), "an echo reply for every spoke after the restart",
                    () -> net.report().replied() == spokes, () -> net.report().toString());
            report.add("simulator at the end: " + net.report());
        } finally {
            report.forEach(l -> System.out.println("hub-bench: " + l));
        }
    }

    private static String timed(HubAndSpokes net, String command) {
        long t = System.nanoTime();
        Command.Result r = net.status(command.substring("status".length()).trim().isEmpty() ? new String[0]
                : command.substring("status ".length()).split(" "));
        return String.format("'%s' %.2f s, %d lines", command, (System.nanoTime() - t) / 1e9, r.stdout().lines().count());
    }

    private static Map<String, Long> counters(HubAndSpokes net) {
        return Uapi.request(net.iface(), "get_counters=1\n\n").numbers();
    }

    /** The counters that moved, for the reasons a burst of handshakes is about. */
    private static String delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new TreeMap<>();
        after.forEach((k, v) -> {
            long n = v - before.getOrDefault(k, 0L);
            if (n != 0 && k.startsWith("drop_")) d.put(k, n);
        });
        return d.isEmpty() ? "no drops" : d.toString();
    }

    private static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
