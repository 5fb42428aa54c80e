package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, as a user runs it: {@code ./sitelink demo} as root. It must show a ping and an intact
 * transfer from host A to host B through the tunnel, and leave nothing behind: no namespace, no UAPI socket, no PID
 * file, no gateway process. The demo's names are fixed (sl-demo-*), which is fine because e2e tests run one at a time;
 * every test ends with {@code ./sitelink demo --down}.
 */
class DemoIT {
    private static final List<String> NAMESPACES = List.of("sl-demo-hosta", "sl-demo-gwa", "sl-demo-gwb", "sl-demo-hostb");
    private static final List<String> IFACES = List.of("sl-demo-a", "sl-demo-b");
    private static final Pattern REPLY = Pattern.compile("64 bytes from 198\\.18\\.2\\.10: icmp_seq=(\\d) ttl=62 time=[0-9.]+ ms");

    private final List<Path> logs = new ArrayList<>();

    @BeforeEach
    void prerequisites() {
        org.junit.jupiter.api.Assumptions.assumeFalse("false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
        E2e.require(E2e.isRoot(), "running as root (network namespaces)");
        E2e.require(E2e.onPath("ip").isPresent(), "the ip command (apt-get install iproute2)");
        E2e.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        E2e.require(NAMESPACES.stream().noneMatch(DemoIT::namespaceExists), "no demo running before the test");
    }

    @AfterEach
    void down() {
        sitelink(Duration.ofSeconds(60), "demo", "--down");
    }

    @Test
    void demoShowsPingAndIntactTransferThroughTheTunnelAndRemovesEverything() {
        Run r = sitelink(Duration.ofSeconds(240), "demo");
        assertEquals(0, r.exitCode(), r.describe());

        Matcher m = REPLY.matcher(r.stdout());
        List<String> seqs = new ArrayList<>();
        while (m.find()) seqs.add(m.group(1));
        assertEquals(List.of("1", "2", "3", "4"), seqs, "a reply to every echo request, through both gateways (ttl 62)\n" + r.describe());
        assertTrue(r.stdout().contains("4 packets transmitted, 4 received, 0% packet loss"), r.describe());

        assertTrue(r.stdout().contains("intact: every byte arrived, unchanged"), r.describe());
        String sent = field(r.stdout(), "sha256 sent by host A");
        String received = field(r.stdout(), "sha256 received by host B");
        assertTrue(sent.matches("[0-9a-f]{64}"), r.describe());
        assertEquals(sent, received, "both ends computed the same digest");

        // The status (as `sitelink status` prints it) shows both tunnels up and counts the transfer: A sent and B
        // received at least 32 MiB.
        assertTrue(Pattern.compile("office-a \\(sl-demo-a\\)\\s+office-b\\s+ESTABLISHED\\s+:51820 -> 203\\.0\\.113\\.2:51820"
                + ".*\\s3[2-9]\\.\\d MiB/\\d+p\\s").matcher(r.stdout()).find(), r.describe());
        assertTrue(Pattern.compile("office-b \\(sl-demo-b\\)\\s+office-a\\s+ESTABLISHED\\s+:51820 -> 203\\.0\\.113\\.1:51820"
                + ".*\\s3[2-9]\\.\\d MiB/\\d+p\\s").matcher(r.stdout()).find(), r.describe());
        assertTrue(!r.stdout().contains("private_key:") && !r.stdout().contains("Exception"), r.describe());

        assertNothingLeft();
    }

    @Test
    void keepLeavesTheTunnelRunningUntilDown() {
        Run kept = sitelink(Duration.ofSeconds(240), "demo", "--keep");
        assertEquals(0, kept.exitCode(), kept.describe());
        assertTrue(kept.stdout().contains("sudo sitelink demo --down"), kept.describe());

        // The demo returned; its gateways did not: they still answer and hold an established tunnel.
        for (String ns : NAMESPACES) assertTrue(namespaceExists(ns), ns + " exists while kept");
        List<ProcessHandle> gateways = new ArrayList<>();
        for (String iface : IFACES) {
            long pid = Long.parseLong(read(Path.of("/run/sitelink", iface + ".pid")).strip());
            ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("gateway " + iface + " is not running"));
            gateways.add(h);
            Uapi.Response get = Uapi.request(iface, "get=1\n\n");
            assertEquals(0, get.errno());
            assertTrue(get.lines().stream().anyMatch(l -> l.startsWith("last_handshake_time_sec=") && !l.endsWith("=0")),
                    iface + " has completed a handshake: " + get.lines().stream().filter(l -> !l.startsWith("private_key")).toList());
        }

        Run second = sitelink(Duration.ofSeconds(60), "demo");
        assertEquals(1, second.exitCode(), second.describe());
        assertTrue(second.stderr().contains("a demo is already running") && second.stderr().contains("sitelink demo --down"),
                second.describe());
        assertTrue(gateways.stream().allMatch(ProcessHandle::isAlive), "a refused demo leaves the running one alone");

        Run down = sitelink(Duration.ofSeconds(60), "demo", "--down");
        assertEquals(0, down.exitCode(), down.describe());
        assertTrue(down.stdout().contains("stopped 2 gateways"), down.describe());
        assertTrue(gateways.stream().noneMatch(ProcessHandle::isAlive), "the gateways exited");
        assertNothingLeft();

        Run again = sitelink(Duration.ofSeconds(60), "demo", "--down");
        assertEquals(0, again.exitCode(), again.describe());
        assertTrue(again.stdout().contains("no demo is running"), again.describe());
    }

    @Test
    void interruptedDemoRemovesWhatItBuilt() throws Exception {
        Path out = Files.createTempFile("demo-interrupted", ".log");
        logs.add(out);
        Process p = new ProcessBuilder(E2e.home().resolve("sitelink").toString(), "demo").directory(E2e.home().toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            // Interrupt once both gateways run: the hardest moment, with processes, interfaces and routes to remove.
            E2e.await(Duration.ofSeconds(180), "both demo gateways up", () -> read(out).contains("gateway office-b is up"),
                    () -> read(out));
            p.destroy(); // SIGTERM to the demo's JVM (the launcher execs java): the same path as Ctrl-C
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the demo exits after SIGTERM\n" + read(out));
        } finally {
            p.destroyForcibly();
        }
        assertTrue(read(out).contains("Interrupted: removing everything the demo built"), read(out));
        assertNothingLeft();
    }

    @AfterEach
    void removeLogs() throws IOException {
        for (Path p : logs) Files.deleteIfExists(p);
    }

    private static void assertNothingLeft() {
        for (String ns : NAMESPACES) assertTrue(!namespaceExists(ns), "namespace " + ns + " was deleted");
        for (String iface : IFACES) {
            assertTrue(!Files.exists(Path.of("/var/run/wireguard", iface + ".sock")), "UAPI socket of " + iface + " removed");
            assertTrue(!Files.exists(Path.of("/run/sitelink", iface + ".pid")), "PID file of " + iface + " removed");
            assertTrue(!Files.exists(Path.of("/run/sitelink", iface + ".reload")), "reload file of " + iface + " removed");
        }
        assertTrue(!Files.exists(Path.of("/run/sitelink-demo")), "the demo's private directory was deleted");
        List<String> left = ProcessHandle.allProcesses()
                .filter(h -> h.info().arguments().map(a -> Arrays.stream(a).anyMatch(s -> s.startsWith("/run/sitelink-demo/")))
                        .orElse(false))
                .map(h -> h.pid() + " " + h.info().commandLine().orElse("?")).toList();
        assertEquals(List.of(), left, "no demo gateway process remains");
    }

    private static boolean namespaceExists(String ns) {
        return Files.exists(Path.of("/var/run/netns", ns));
    }

    private static String field(String out, String label) {
        return out.lines().map(String::strip).filter(l -> l.startsWith(label)).map(l -> l.substring(label.length()).strip())
                .findFirst().orElseThrow(() -> new AssertionError("no '" + label + "' line in:\n" + out));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    record Run(List<String> command, int exitCode, String stdout, String stderr) {
        String describe() {
            return String.join(" ", command) + " -> exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    /** {@code ./sitelink ARGS} from the repository, as a user types it. */
    private Run sitelink(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of(E2e.home().resolve("sitelink").toString()));
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("demo-out", ".log");
            Path err = Files.createTempFile("demo-err", ".log");
            logs.add(out);
            logs.add(err);
            Process p = new ProcessBuilder(cmd).directory(E2e.home().toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroy(); // SIGTERM: the demo removes what it built
                p.waitFor(60, TimeUnit.SECONDS);
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s: " + String.join(" ", cmd)
                        + "\n" + read(out) + read(err));
            }
            return new Run(cmd, p.exitValue(), read(out), read(err));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
