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
 * The ahead-of-time cache as the build leaves it (issue 15): {@code mvn package} made {@code target/sitelink.aot} with
 * the training run (scripts/aot-cache), {@code ./sitelink} starts with it (the JVM maps the trained classes from it:
 * {@code -Xlog:class+load} says "shared objects file" for them), and the launcher's options with a broken
 * cache (truncated, or not a cache at all) still start sitelink, and quietly: no warning about the cache on the
 * terminal. No namespace, no root: only JVMs started the way the launcher starts them.
 */
class AotCacheIT {
    private static final Path HOME = E2e.home();
    private static final Path JAR = HOME.resolve("target/sitelink.jar");
    private static final Path CACHE = HOME.resolve("target/sitelink.aot");

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

    /** The JVM with the launcher's options (scripts/jvm-options.sh) for JAR and the given cache, then {@code args}. */
    private static Run launcherOptions(Path cache, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "source scripts/jdk.sh && sitelink_find_jdk >/dev/null"
                + " && source scripts/jvm-options.sh && sitelink_aot_options \"$1\" \"$2\" && shift 2"
                + " && exec \"$JAVA_HOME/bin/java\" \"${sitelink_jvm_opts[@]}\" \"${sitelink_aot_opts[@]}\" -jar \"$JAR\" \"$@\"",
                "-", JAR.toString(), cache.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, Map.of("JAR", JAR.toString()));
    }

    @Test
    void theBuildMadeTheCacheAndTheLauncherStartsWithIt() throws Exception {
        assertTrue(Files.size(CACHE) > 1_000_000, "mvn package made " + CACHE);
        assertFalse(Files.getLastModifiedTime(JAR).compareTo(Files.getLastModifiedTime(CACHE)) > 0,
                "the cache is not older than the jar it was made for");
        Run r = run(List.of("./sitelink", "--version"), Map.of("SITELINK_JAVA_OPTS", "-Xlog:class+load"));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("sitelink.cli.Main source: shared objects file"), r.output());
        assertTrue(r.output().contains("sitelink.crypto.X25519 source: shared objects file"),
                "the training's crypto classes come from the cache too");

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
