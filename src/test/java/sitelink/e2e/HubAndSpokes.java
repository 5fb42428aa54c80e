package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.e2e.tools.SpokePlan;
import sitelink.e2e.tools.SpokeSimulator;
import sitelink.testbed.Command;
import sitelink.testbed.Namespace;
import sitelink.testbed.Proc;
import sitelink.testbed.Veth;

/**
 * A hub gateway ({@code sitelink up} of a site file with N remote sites) and N spokes in one {@link SpokeSimulator},
 * as HubScaleIT and the hub benchmark (bench/hub) run them:
 * <pre>
 *  spokes ns (SpokeSimulator) ── WAN 198.18.64.0/18 ── hub ns (sitelink up) ── LAN 198.18.8.0/24 ── lan ns (echo target)
 *    sources 198.18.65.1 ...                             198.18.64.1:51820       198.18.8.1        198.18.8.10
 * </pre>
 * Spoke i serves {@link SpokePlan#subnet}; the hub routes each into its tunnel and the LAN host answers their echo
 * requests through it.
 */
public final class HubAndSpokes implements AutoCloseable {
    public static final int PORT = 51820;
    public static final String HUB_WAN = "198.18.64.1", LAN_HOST = "198.18.8.10";
    private static final long SEED = 17;

    private final int spokes;
    private final Namespace spokesNs, hub, lan;
    private final String iface;
    private final Path dir, siteFile;
    private final String hubPublicKey;
    private final String sitelink = E2e.home().resolve("sitelink").toString();
    private Proc gateway, simulator;

    private HubAndSpokes(int spokes, int sources) throws IOException {
        this.spokes = spokes;
        spokesNs = E2e.namespace("spokes");
        hub = E2e.namespace("hub");
        lan = E2e.namespace("lan");
        Veth.link(spokesNs, "wan0", source(0) + "/18", hub, "wan1", HUB_WAN + "/18");
        if (sources > 1) { // up to one address per spoke: one 'ip -batch' instead of a command each
            Path batch = Files.createTempFile("sitelink-hub-addrs", ".ip");
            StringBuilder b = new StringBuilder();
            for (int i = 1; i < sources; i++) {
                b.append("addr add ").append(source(i)).append("/18 dev wan0\n");
            }
            Files.writeString(batch, b);
            try {
                spokesNs.ip("-batch", batch.toString());
            } finally {
                Files.deleteIfExists(batch);
            }
        }
        Veth.link(hub, "lan1", "198.18.8.1/24", lan, "lan0", LAN_HOST + "/24");
        lan.ip("route", "add", "default", "via", "198.18.8.1");
        iface = E2e.uniqueName("slhub");
        dir = Files.createTempDirectory("sitelink-hub");
        Key key = X25519.generatePrivate(new java.security.SecureRandom());
        hubPublicKey = X25519.publicKey(key).toBase64();
        TwoOffices.writeSecret(dir.resolve("hub.key"), key.toBase64() + "\n");
        siteFile = dir.resolve("hub.yaml");
        TwoOffices.writeSecret(siteFile, siteFile(spokes));
    }

    /** The simulator's {@code i}th WAN address, 198.18.65.1 onwards (up to 15,000). */
    static String source(int i) {
        return "198.18." + (65 + i / 250) + "." + (1 + i % 250);
    }

    /** The namespaces and the hub's site file; nothing runs yet. */
    public static HubAndSpokes create(int spokes, int sources) throws IOException {
        return new HubAndSpokes(spokes, sources);
    }

    private String siteFile(int n) {
        StringBuilder b = new StringBuilder("""
                name: hub
                private_key_file: %s
                listen_port: %d
                tunnel:
                  name: %s
                  addresses: [198.18.12.1/24]
                local_subnets: [198.18.8.0/24]
                remote_sites:
                """.formatted(dir.resolve("hub.key"), PORT, iface));
        for (int i = 0; i < n; i++) {
            b.append("  - name: ").append(SpokePlan.name(i)).append('\n')
                    .append("    public_key: ").append(SpokePlan.publicKey(SEED, i).toBase64()).append('\n')
                    .append("    remote_subnets: [").append(SpokePlan.subnet(i)).append("]\n");
        }
        return b.toString();
    }

    public Path siteFile() {
        return siteFile;
    }

    public String iface() {
        return iface;
    }

    public Namespace hubNamespace() {
        return hub;
    }

    /** Starts {@code sitelink up} on the hub and waits until its routes are in place; returns the nanoTime it started. */
    public long startHub() {
        long started = System.nanoTime();
        gateway = hub.start(sitelink, "up", siteFile.toString());
        Proc g = gateway;
        E2e.await(Duration.ofSeconds(120), "the hub to come up", () -> g.output().contains(" is up on ") || !g.isAlive(),
                g::tail);
        if (!g.isAlive()) fail("the hub exited:\n" + g.tail());
        return started;
    }

    /** SIGTERM, as an operator's restart would (the process removes what it added), and waits for it to exit. */
    public void stopHub() {
        gateway.signal("TERM");
        if (gateway.waitFor(Duration.ofSeconds(30)) != 0) fail("the hub did not stop cleanly:\n" + gateway.tail());
    }

    public Proc gateway() {
        return gateway;
    }

    /**
     * Starts the spokes on {@code sources} WAN addresses (one socket each, the spokes spread over them), echo requests
     * every {@code echoSeconds}, the simulator at {@code niceness}.
     */
    public void startSpokes(int sources, double echoSeconds, int niceness) {
        List<String> addrs = new ArrayList<>();
        for (int i = 0; i < sources; i++) addrs.add(source(i));
        String[] cmd = E2e.java(SpokeSimulator.class, HUB_WAN, Integer.toString(PORT), hubPublicKey,
                Integer.toString(spokes), Long.toString(SEED), String.join(",", addrs), LAN_HOST, Double.toString(echoSeconds));
        // Memory for N cores with their sessions: the tool's default 64 MiB is for a handful.
        for (int i = 0; i < cmd.length; i++) if (cmd[i].equals("-Xmx64m")) cmd[i] = "-Xmx512m";
        // Real spokes run on machines of their own; here they share the hub's cores. At nice 19 they would get only
        // the CPU the hub leaves (as HandshakeFloodIT's attacker does), but on a busy machine that starves them until
        // their own handshakes time out and restart: so the niceness is the caller's choice (docs/benchmarks.md).
        List<String> nice = new ArrayList<>(List.of("nice", "-n", Integer.toString(niceness)));
        nice.addAll(List.of(cmd));
        simulator = spokesNs.start(nice.toArray(String[]::new));
    }

    public Proc simulator() {
        return simulator;
    }

    private static final Pattern REPORT = Pattern.compile(
            "t=(\\d+) spokes=(\\d+) sessions=(\\d+) echo_sent=(\\d+) echo_ok=(\\d+) echo_bad=(\\d+) replied=(\\d+) attempts=(\\d+)");

    /** The simulator's latest report line. */
    public record Report(int seconds, int sessions, long echoSent, long echoOk, long echoBad, int replied, long attempts) {
    }

    public Report report() {
        List<String> lines = simulator.lines();
        for (int i = lines.size() - 1; i >= 0; i--) {
            Matcher m = REPORT.matcher(lines.get(i));
            if (m.find()) {
                return new Report(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3)), Long.parseLong(m.group(4)),
                        Long.parseLong(m.group(5)), Long.parseLong(m.group(6)), Integer.parseInt(m.group(7)),
                        Long.parseLong(m.group(8)));
            }
        }
        return new Report(0, 0, 0, 0, 0, 0, 0);
    }

    private static final Pattern SUMMARY = Pattern.compile("(\\d+) ESTABLISHED");

    /** How many remote sites the hub's own {@code sitelink status} counts ESTABLISHED (its summary line). */
    public int established() {
        Command.Result r = status();
        Matcher m = SUMMARY.matcher(r.stdout());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    public Command.Result status(String... options) {
        List<String> cmd = new ArrayList<>(List.of(sitelink, "status"));
        cmd.addAll(List.of(options));
        cmd.add(iface);
        return hub.exec(Duration.ofSeconds(60), cmd.toArray(String[]::new));
    }

    /** Waits until the hub counts every spoke ESTABLISHED; returns the nanoTime it saw that. */
    public long awaitAllEstablished(Duration timeout) {
        E2e.await(timeout, "all " + spokes + " spokes ESTABLISHED at the hub", () -> established() == spokes,
                () -> "hub status:\n" + status().stdout().lines().limit(5).reduce("", (a, l) -> a + l + "\n")
                        + "simulator: " + report() + "\n" + gateway.tail());
        return System.nanoTime();
    }

    public long rssKib() {
        return procStatus("VmRSS:");
    }

    /** The hub's CPU time so far (user + system), in seconds. */
    public double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(gateway.pid()), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in clock ticks (USER_HZ 100)
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int threads() {
        return (int) procStatus("Threads:");
    }

    private long procStatus(String field) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(gateway.pid()), "status")).stream()
                    .filter(l -> l.startsWith(field)).map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                    .findFirst().orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (simulator != null) simulator.close();
        if (gateway != null) gateway.close();
        lan.close();
        hub.close();
        spokesNs.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) Files.deleteIfExists(p);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }
}
