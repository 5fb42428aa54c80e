package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ahead-of-time caches as the build leaves them (issue 15): {@code mvn package} made {@code target/sitelink.aot}
 * (gateways) and {@code target/sitelink-cli.aot} (other commands) with training runs (scripts/aot-cache),
 * {@code ./sitelink} starts with the one for its command (the JVM maps the trained classes from it:
 * {@code -Xlog:class+load} says "shared objects file" for them), and the launcher's options with a broken
 * cache (truncated, or not a cache at all) still start sitelink, and quietly: no warning about the cache on the
 * terminal. No namespace, no root: only JVMs started the way the launcher starts them.
 */
class AotCacheIT {
    private static final Path HOME = E2e.home();
    private static final Path JAR = HOME.resolve("target/sitelink.jar");
    private static final Path CACHE = HOME.resolve("target/sitelink-cli.aot");
    private static final Path GATEWAY_CACHE = HOME.resolve("target/sitelink.aot");

    @TempDir
    Path tmp;

    private record Run(int exit, String output) {
    }

    private static Run run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(HOME.toFile()).redirectErrorStream(true);
        pb.environment().remove("SITELINK_JAVA_OPTS");
        pb.environment().remove("SITELINK_AOT");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished: " + command);
        return new Run(p.exitValue(), out);
    }

    /**
     * The JVM with the launcher's options (scripts/jvm-options.sh) for JAR and a directory whose sitelink-cli.aot is
     * {@code cache}, then {@code args}.
     */
    private Run launcherOptions(Path cache, String... args) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(tmp, "caches");
        Files.copy(cache, dir.resolve("sitelink-cli.aot"));
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "source scripts/jdk.sh && sitelink_find_jdk >/dev/null"
                + " && source scripts/jvm-options.sh && sitelink_command_options \"$1\" \"$2\" \"$3\" && shift 2"
                + " && exec \"$JAVA_HOME/bin/java\" \"${sitelink_jvm_opts[@]}\" \"${sitelink_cmd_opts[@]}\" -jar \"$JAR\" \"$@\"",
                "-", JAR.toString(), dir.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, Map.of("JAR", JAR.toString()));
    }

    @Test
    void theBuildMadeTheCachesAndTheLauncherStartsWithThem() throws Exception {
        for (Path cache : List.of(CACHE, GATEWAY_CACHE)) {
            assertTrue(Files.size(cache) > 1_000_000, "mvn package made " + cache);
            assertFalse(Files.getLastModifiedTime(JAR).compareTo(Files.getLastModifiedTime(cache)) > 0,
                    cache + " is not older than the jar it was made for");
        }
        // A JVM loads every class of its cache at start: the classes it names tell the caches apart.
        Run r = run(List.of("./sitelink", "--version"), Map.of("SITELINK_JAVA_OPTS", "-Xlog:class+load"));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("sitelink.cli.Main source: shared objects file"), r.output());
        assertFalse(r.output().contains("sitelink.wireguard.WarmUp"), "the short commands' cache holds no gateway");
        // picocli's class files, Java 5's in its jar, rewritten by the build as Java 8's so that the cache can hold them
        assertTrue(r.output().contains("picocli.CommandLine source: shared objects file"), r.output());
        Run gateway = run(List.of("./sitelink", "device", "--help"), Map.of("SITELINK_JAVA_OPTS", "-Xlog:class+load"));
        assertEquals(0, gateway.exit(), gateway.output());
        assertTrue(gateway.output().contains("sitelink.wireguard.WarmUp source: shared objects file"), gateway.output());
        assertTrue(gateway.output().contains("sitelink.crypto.X25519 source: shared objects file"), gateway.output());
        // Bouncy Castle's jars, signed as published, unsigned by the build so that the cache can hold their classes
        assertTrue(gateway.output().contains("org.bouncycastle.crypto.digests.Blake2sDigest source: shared objects file"),
                gateway.output());

        Run off = run(List.of("./sitelink", "--version"), Map.of("SITELINK_JAVA_OPTS", "-Xlog:class+load", "SITELINK_AOT", "off"));
        assertEquals(0, off.exit(), off.output());
        assertFalse(off.output().contains("sitelink.cli.Main source: shared objects file"), "SITELINK_AOT=off: " + off.output());
    }

    @Test
    void aBrokenCacheStillStartsAndSaysNothingAboutIt() throws Exception {
        String version = run(List.of("./sitelink", "--version"), Map.of()).output();
        assertTrue(version.startsWith("sitelink "), version);

        Path truncated = tmp.resolve("truncated.aot");
        byte[] cache = Files.readAllBytes(CACHE);
        Files.write(truncated, java.util.Arrays.copyOf(cache, cache.length / 3));
        Path garbage = tmp.resolve("garbage.aot");
        Files.writeString(garbage, "not an AOT cache\n".repeat(100));
        for (Path broken : List.of(truncated, garbage)) {
            Run r = launcherOptions(broken, "--version");
            assertEquals(0, r.exit(), broken + ": " + r.output());
            assertEquals(version, r.output(), broken + ": the version alone, no word about the cache");
        }
        Run check = launcherOptions(truncated, "check", "examples/office-b.yaml");
        assertFalse(check.output().contains("[aot]") || check.output().contains("AOT"), check.output());
    }
}
