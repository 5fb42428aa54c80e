package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sudo ./sitelink} builds only what root may trust: a checkout of root's alone is built as root (CI's fresh
 * clone), another user's checkout as that user, and root's checkout with files others can change not at all. The
 * launcher runs on a copy of the repository's script in a temporary checkout, with a fake {@code mvn} that records
 * who ran it and a fake JDK whose {@code java} says who ran it; the test runs as root and gives files to nobody.
 */
class LauncherTest {
    private static final int NOBODY = 65534;

    @TempDir
    Path tmp;
    private Path checkout;
    private Path mvnLog;

    /** How one run of the launcher went. */
    private record Run(int exit, String output, List<String> mvnRanAs) {
    }

    @BeforeEach
    void checkout() throws Exception {
        Assumptions.assumeTrue((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0,
                "the launcher's choice matters when root runs it; the test needs root to give files to nobody");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x")); // nobody must reach in
        checkout = Files.createDirectory(tmp.resolve("checkout"));
        Files.copy(Path.of("sitelink"), checkout.resolve("sitelink"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createDirectories(checkout.resolve("scripts"));
        Files.copy(Path.of("scripts/jdk.sh"), checkout.resolve("scripts/jdk.sh"));
        Files.copy(Path.of("scripts/jvm-options.sh"), checkout.resolve("scripts/jvm-options.sh"));
        Files.copy(Path.of("scripts/jit-directives.json"), checkout.resolve("scripts/jit-directives.json"));
        Files.writeString(checkout.resolve("pom.xml"), "<project/>\n");
        Files.createDirectories(checkout.resolve("src/main/java"));
        Files.writeString(checkout.resolve("src/main/java/Main.java"), "class Main {}\n");

        Path jdk = Files.createDirectories(tmp.resolve("jdk/bin")).getParent();
        script(jdk.resolve("bin/java"), "echo \"java ran as $(id -u): $*\"");
        script(jdk.resolve("bin/javac"), "exit 0");
        Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
        // mvn package as the launcher runs it: in the checkout, making target/sitelink.jar; it notes who it ran as.
        Path log = Files.createDirectory(tmp.resolve("log"));
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rwxrwxrwx")); // for whoever mvn runs as
        mvnLog = log.resolve("mvn");
        script(Files.createDirectory(tmp.resolve("bin")).resolve("mvn"),
                "id -u >> " + mvnLog + "\nmkdir -p target && : > target/sitelink.jar");
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Run launch() throws Exception {
        return launch(null);
    }

    /** Runs {@code ./sitelink ARGS} ({@code --version} without any); {@code aot} is SITELINK_AOT's value (null: not set). */
    private Run launch(String aot, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", checkout.resolve("sitelink").toString()));
        cmd.addAll(args.length == 0 ? List.of("--version") : List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PATH", tmp.resolve("bin") + ":" + System.getenv("PATH"));
        pb.environment().put("JAVA_HOME", tmp.resolve("jdk").toString());
        pb.environment().remove("SITELINK_AOT");
        if (aot != null) {
            pb.environment().put("SITELINK_AOT", aot);
        }
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher finished");
        return new Run(p.exitValue(), out, Files.exists(mvnLog) ? Files.readAllLines(mvnLog) : List.of());
    }

    /** lchown -R: every file, directory and link of the checkout. */
    private void giveCheckoutTo(int uid) throws IOException {
        try (Stream<Path> all = Files.walk(checkout)) {
            for (Path p : all.toList()) {
                Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            }
        }
    }

    @Test
    void anotherUsersCheckoutIsBuiltAsThatUserAndThenRunAsRoot() throws Exception {
        giveCheckoutTo(NOBODY);
        Run r = launch();
        assertEquals(0, r.exit(), r.output());
        assertEquals(List.of(Integer.toString(NOBODY)), r.mvnRanAs(), "Maven ran as the checkout's owner, not root");
        assertTrue(r.output().contains("java ran as 0: "), r.output());
        assertEquals(NOBODY, Files.getAttribute(checkout.resolve("target/sitelink.jar"), "unix:uid"), "its build is its own");
    }

    @Test
    void rootsOwnCheckoutIsBuiltAsRoot() throws Exception {
        Run r = launch();
        assertEquals(0, r.exit(), r.output());
        assertEquals(List.of("0"), r.mvnRanAs());
        assertTrue(r.output().contains("java ran as 0: --enable-native-access=ALL-UNNAMED"), r.output());
    }

    @Test
    void rootsCheckoutWithAFileAnotherUserOwnsIsNotBuilt() throws Exception {
        Path source = checkout.resolve("src/main/java/Main.java");
        Files.setAttribute(source, "unix:uid", NOBODY);
        Run r = launch();
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("sitelink: not building as root: " + source + " can be changed by a user other "
                + "than root"), r.output());
        assertEquals(List.of(), r.mvnRanAs(), "Maven never ran");
        assertFalse(r.output().contains("java ran"), "nothing ran");
    }

    @Test
    void rootsCheckoutWithAFileOthersCanWriteIsNotBuilt() throws Exception {
        Files.setPosixFilePermissions(checkout.resolve("pom.xml"), PosixFilePermissions.fromString("rw-rw-rw-"));
        Run r = launch();
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("not building as root: " + checkout.resolve("pom.xml")), r.output());
        assertEquals(List.of(), r.mvnRanAs());
    }

    @Test
    void aCheckoutOfAUidWithoutAnAccountIsNotBuilt() throws Exception {
        int stranger = 54321;
        Assumptions.assumeFalse(new ProcessBuilder("getent", "passwd", Integer.toString(stranger)).start().waitFor() == 0,
                "uid " + stranger + " has no account here");
        giveCheckoutTo(stranger);
        Run r = launch();
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("not building as root: " + checkout + " belongs to uid 54321, which has no "
                + "account to build as"), r.output());
        assertEquals(List.of(), r.mvnRanAs());
    }

    /** sudo bash scripts/test in a developer's checkout: Maven built the jar, the e2e tests then run ./sitelink. */
    @Test
    void aFreshJarRunsWithoutABuildWhoeverOwnsTheCheckout() throws Exception {
        built();
        giveCheckoutTo(NOBODY);
        Run r = launch();
        assertEquals(0, r.exit(), r.output());
        assertEquals(List.of(), r.mvnRanAs(), "no build");
        assertTrue(r.output().contains("java ran as 0: "), r.output());
    }

    /** A built checkout: the jar a minute old, the sources older. */
    private void built() throws IOException {
        FileTime before = FileTime.from(Instant.now().minusSeconds(120));
        try (Stream<Path> all = Files.walk(checkout)) {
            for (Path p : all.toList()) {
                Files.setLastModifiedTime(p, before);
            }
        }
        Files.createDirectories(checkout.resolve("target"));
        Files.writeString(checkout.resolve("target/sitelink.jar"), "");
        Files.setLastModifiedTime(checkout.resolve("target/sitelink.jar"), FileTime.from(Instant.now().minusSeconds(60)));
    }

    @Test
    void theAotCacheTheBuildMadeIsUsedWhileItIsNotOlderThanTheJar() throws Exception {
        built();
        Path cache = checkout.resolve("target/sitelink-cli.aot");
        Files.writeString(cache, "cache");
        Files.writeString(checkout.resolve("target/sitelink.aot"), "cache");
        Run r = launch();
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("-XX:AOTCache=" + cache + " -Xlog:aot*=off -Xlog:cds*=off -jar "), r.output());
        assertTrue(r.output().contains("-Xss512k -XX:TieredStopAtLevel=1 -XX:AOTCache="), "a short command stops at C1: " + r.output());
        Run device = launch(null, "device", "-f", "wg0");
        assertTrue(device.output().contains("-Xss512k -Xms36m -Xmn20m -XX:TrimNativeHeapInterval=5000"
                + " -Dsitelink.jitDirectives=" + checkout.resolve("scripts/jit-directives.json")
                + " -XX:AOTCache=" + checkout.resolve("target/sitelink.aot") + " "),
                "up, device and demo use the gateway's cache, C2 with its directives and the gateway's young generation: "
                        + device.output());
        assertFalse(r.output().contains("jitDirectives"), "the directives are the gateways' only: " + r.output());
        assertFalse(launch("off").output().contains("AOTCache"), "SITELINK_AOT=off starts without it");

        Files.setLastModifiedTime(cache, FileTime.from(Instant.now().minusSeconds(90)));
        r = launch();
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("java ran as 0: --enable-native-access"), r.output());
        assertFalse(r.output().contains("AOTCache"), "a cache older than the jar is of another jar: " + r.output());

        Files.delete(cache);
        assertFalse(launch().output().contains("AOTCache"), "no cache, no flag");
    }
}
