package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code sitelink reload} signals the process its PID file names only when that process is a sitelink gateway
 * running the same site file: a stale or forged PID file must never make it signal anything else. The "gateways"
 * here are shell scripts whose command line reads like one ({@code sh -c SCRIPT -jar .../sitelink.jar up FILE}).
 */
class ReloadCommandTest {
    private static final String SITE = """
            name: office-a
            private_key: dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=
            tunnel:
              name: sl-rt
            remote_sites:
              - name: office-b
                public_key: 3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=
                remote_subnets: [198.18.2.0/24]
            """;

    @TempDir
    Path dir;
    private Path run;
    private Path siteFile;
    private Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void siteFile() throws IOException {
        run = Files.createDirectory(dir.resolve("run"));
        siteFile = dir.resolve("office-a.yaml");
        Files.writeString(siteFile, SITE);
        Files.setPosixFilePermissions(siteFile, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterEach
    void stop() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    private int reload() {
        ReloadCommand cmd = new ReloadCommand();
        cmd.runDirectory = run;
        cmd.io.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.io.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        return new CommandLine(cmd).execute(siteFile.toString());
    }

    private void pidFile(Object pid) throws IOException {
        Files.writeString(run.resolve("sl-rt.pid"), pid + "\n");
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** Starts {@code command} and waits until it runs it (not the JVM's spawn helper) and sleeps. */
    private long start(String... command) throws IOException {
        // With SIGHUP at its default: a JVM run under nohup hands its children SIGHUP ignored, and sh cannot trap a
        // signal that was ignored when it started (the fake gateway would never answer).
        List<String> withDefaultHup = new java.util.ArrayList<>(List.of("env", "--default-signal=HUP"));
        withDefaultHup.addAll(List.of(command));
        process = new ProcessBuilder(withDefaultHup).redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile())
                .start();
        long pid = process.pid();
        await("pid " + pid + " runs " + command[0] + " and sleeps", () -> cmdline(pid).startsWith(command[0] + "\0")
                && status(pid, "State:").startsWith("S"));
        return pid;
    }

    /**
     * No signal reached {@code pid} and none is pending: still sleeping, nothing in its pending sets. A SIGHUP (whose
     * default action ends a process) would have left it pending, exiting (R) or a zombie by the time kill(2) returned.
     */
    private static boolean untouched(long pid) {
        return status(pid, "State:").startsWith("S") && status(pid, "SigPnd:").matches("0+")
                && status(pid, "ShdPnd:").matches("0+");
    }

    @Test
    void aPidFileNamingAnotherProgramSignalsNothing() throws Exception {
        long sleep = start("sleep", "300");
        pidFile(sleep);
        assertEquals(1, reload(), stderr());
        assertTrue(stderr().contains(run.resolve("sl-rt.pid") + " names pid " + sleep + ", which is not a sitelink "
                + "gateway running " + siteFile + " (it runs: sleep 300); nothing was signalled"), stderr());
        assertTrue(untouched(sleep), "sleep got no signal: " + status(sleep, "State:"));
        assertTrue(process.isAlive());
    }

    @Test
    void aPidFileNamingTheGatewayOfAnotherSiteFileSignalsNothing() throws Exception {
        Path other = Files.writeString(dir.resolve("office-z.yaml"), SITE);
        long gateway = start("sh", "-c", "while :; do sleep 1 & wait $!; done", "-jar", "/opt/sitelink/sitelink.jar", "up",
                other.toString());
        pidFile(gateway);
        assertEquals(1, reload(), stderr());
        assertTrue(stderr().contains("the gateway for sl-rt (pid " + gateway + ") runs " + other + ", not " + siteFile
                + "; nothing was signalled"), "names the file the gateway runs: " + stderr());
        assertTrue(!stderr().contains("remove the file"), "a live gateway's PID file is not stale: " + stderr());
        assertTrue(untouched(gateway));
    }

    @Test
    void aPidThatNamesNoSingleProcessIsNeverUsed() throws Exception {
        for (String pid : List.of("0", "-1", "-4242")) {
            err.reset();
            pidFile(pid);
            assertEquals(1, reload(), stderr());
            assertTrue(stderr().contains(run.resolve("sl-rt.pid") + " holds " + pid + ", which names no single process"),
                    stderr());
        }
        for (String junk : List.of("", "12abc", "99999999999")) {
            err.reset();
            pidFile(junk);
            assertEquals(1, reload(), stderr());
            assertTrue(stderr().contains("does not hold a process ID; nothing was signalled"), stderr());
        }
    }

    @Test
    void aStalePidFileSaysTheGatewayHasExited() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        pidFile(gone.pid());
        assertEquals(1, reload(), stderr());
        assertTrue(stderr().contains("no gateway is running for sl-rt: " + run.resolve("sl-rt.pid") + " names pid "
                + gone.pid() + ", which has exited (a stale PID file); start it with 'sitelink up " + siteFile + "'"), stderr());
    }

    /** The real thing, as far as reload can tell: it is signalled and its report is printed. */
    @Test
    void theGatewayRunningTheSiteFileIsSignalledAndItsReportPrinted() throws Exception {
        Path report = run.resolve("sl-rt.reload");
        Files.writeString(report, "0\nok\nno reload yet\n");
        // Answers SIGHUP as the gateway does: the next reload number, ok, and what changed.
        String script = "trap 'printf \"1\\nok\\nsite office-a reloaded: added none\\n\" > " + report + "' HUP; "
                + "while :; do sleep 1 & wait $!; done";
        long gateway = start("sh", "-c", script, "-jar", "/opt/sitelink/sitelink.jar", "up", siteFile.toString());
        pidFile(gateway);
        assertEquals(0, reload(), stderr());
        assertEquals("sitelink: site office-a reloaded: added none\n", out.toString(StandardCharsets.UTF_8));
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String status(long pid, String field) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith(field))
                    .map(l -> l.substring(field.length()).strip()).findFirst().orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(10); // between two looks at /proc
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
