package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import sitelink.testbed.Namespace;
import sitelink.testbed.Testbed;

/** What every end-to-end test shares: prerequisites, unique names, paths, and polling with a deadline. */
public final class E2e {
    private E2e() {}

    /**
     * The JUnit tag of the classes that run with nothing beside them (pom.xml: Failsafe's "e2e-alone" run after the
     * two-at-a-time one): they measure throughput under a flood, count flood pings or build and install the package,
     * which a second test JVM on a 2-core machine would spoil or slow down.
     */
    public static final String ALONE = "alone";

    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    /** The JVM's PID in base 36: makes names unique across concurrent test runs on one machine. */
    private static final String RUN = Long.toString(ProcessHandle.current().pid(), 36);

    /** Under CI a missing prerequisite is a failure (a green run must mean the tests ran); elsewhere a skip. */
    public static void require(boolean condition, String what) {
        if (condition) return;
        if (isCi()) fail("e2e prerequisite missing (CI=true, so this fails instead of skipping): " + what);
        Assumptions.assumeTrue(false, "e2e prerequisite missing, skipped: " + what);
    }

    public static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Checks what every e2e test needs: enabled, root, iproute2 with netns, a TUN device and the wg tool. */
    static void requireEnvironment() {
        Assumptions.assumeFalse("false".equals(System.getProperty("sitelink.e2e")), "e2e tests disabled (-Dsitelink.e2e=false)");
        require(isRoot(), "running as root (network namespaces)");
        require(onPath("ip").isPresent(), "the ip command (apt-get install iproute2)");
        require(onPath("wg").isPresent(), "the wg command (apt-get install wireguard-tools)");
        require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).anyMatch(l -> l.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    public static Optional<Path> onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** A short name unique on this machine for this run, e.g. for an interface ({@code ≤ 15} characters). */
    public static String uniqueName(String prefix) {
        String name = prefix + RUN + "n" + SEQUENCE.incrementAndGet();
        if (name.length() > 15) throw new IllegalArgumentException("name too long for an interface: " + name);
        return name;
    }

    /** The repository root: where {@code ./sitelink} and {@code target/} are (failsafe sets sitelink.home). */
    public static Path home() {
        return Path.of(System.getProperty("sitelink.home", System.getProperty("user.dir"))).toAbsolutePath();
    }

    /**
     * The e2e test bed: namespaces {@code sl-e2e-JVMPID-N-ROLE}, logs (every command, every process's output) under
     * target/e2e-logs/NAME/, processes run from the repository root; whatever a crashed test left open is closed
     * when the JVM exits.
     */
    private static final Testbed TESTBED = Testbed.unique("sl-e2e", home().resolve("target/e2e-logs"), home());

    /** The test bed, once the environment is checked (a missing prerequisite skips, or fails under CI). */
    public static Testbed testbed() {
        requireEnvironment();
        return TESTBED;
    }

    /** A fresh namespace for {@code role} ("a", "wan", "atk"), loopback up; closing it ends its processes and deletes it. */
    public static Namespace namespace(String role) {
        return testbed().namespace(role);
    }

    /** Debian trixie's wireguard-go 0.0.20230223 (batched I/O, offloads), when scripts/test passed its path. */
    public static Optional<Path> wireguardGoCurrent() {
        return fetchedBuild("sitelink.wgGoCurrent", "SITELINK_WG_GO_CURRENT");
    }

    /** The newest wireguard-go (Debian sid's, 0.0.20250522 when written), when scripts/test passed its path. */
    public static Optional<Path> wireguardGoNewest() {
        return fetchedBuild("sitelink.wgGoNewest", "SITELINK_WG_GO_NEWEST");
    }

    /** An executable named by the system property, else by the environment variable. */
    private static Optional<Path> fetchedBuild(String property, String variable) {
        String p = System.getProperty(property, System.getenv(variable));
        if (p == null || p.isBlank()) return Optional.empty();
        return Optional.of(Path.of(p)).filter(Files::isExecutable);
    }

    /** Polls until the condition holds; fails with {@code what} and the details when the deadline passes. */
    public static void await(Duration timeout, String what, BooleanSupplier condition, Supplier<String> details) {
        Instant deadline = Instant.now().plus(timeout);
        long pauseMs = 10;
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                fail("timed out after " + timeout.toSeconds() + " s waiting for " + what + "\n" + details.get());
            }
            sleep(pauseMs);
            pauseMs = Math.min(pauseMs * 2, 200);
        }
    }

    public static void await(Duration timeout, String what, BooleanSupplier condition) {
        await(timeout, what, condition, () -> "");
    }

    /**
     * A counter of the namespace's network statistics ({@code /proc/net/snmp} is per namespace): {@code proto} is the
     * line's prefix without the colon (Ip, Udp, ...), {@code name} the column (FragCreates, RcvbufErrors, ...).
     */
    public static long snmp(Namespace ns, String proto, String name) {
        java.util.List<String> lines = ns.execOk("cat", "/proc/net/snmp").lines()
                .filter(l -> l.startsWith(proto + ": ")).toList();
        java.util.List<String> names = java.util.List.of(lines.get(0).split(" "));
        return Long.parseLong(lines.get(1).split(" ")[names.indexOf(name)]);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * A command line running {@code main} from the test classes with this JDK (inside a namespace), with sitelink's own
     * classes and Bouncy Castle on the class path for the tools that speak the protocol (FloodSender), and its PKIX
     * part for the ones that read certificates (IkePeer).
     */
    public static String[] java(Class<?> main, String... args) {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = java.util.stream.Stream.of(main, sitelink.crypto.Key.class,
                        org.bouncycastle.crypto.digests.Blake2sDigest.class, org.bouncycastle.openssl.PEMParser.class,
                        org.bouncycastle.asn1.cmc.BodyPartID.class)
                .map(E2e::location).distinct().collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        List<String> command = new java.util.ArrayList<>(List.of(javaBin, "-Xmx64m", "-XX:+UseSerialGC", "-cp",
                classpath, main.getName()));
        command.addAll(List.of(args));
        return command.toArray(String[]::new);
    }

    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
