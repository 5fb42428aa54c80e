package sitelink.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A background process started in a namespace ({@link Namespace#start}), with its stdout and stderr captured in one
 * log file. Closing it ends it by PID, its children first: SIGTERM, then SIGKILL when it has not exited after 5 s.
 */
public final class Proc implements AutoCloseable {
    private static final Duration GRACE = Duration.ofSeconds(5);

    private final String label;
    private final Process process;
    private final Path log;

    Proc(String label, Process process, Path log) {
        this.label = label;
        this.process = process;
        this.log = log;
    }

    public long pid() {
        return process.pid();
    }

    public ProcessHandle toHandle() {
        return process.toHandle();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The file its output goes to. */
    public Path log() {
        return log;
    }

    /** Sends a signal by PID ({@code kill -s NAME PID}), e.g. "INT" as Ctrl-C does or "HUP". */
    public void signal(String name) {
        Command.runOk(Duration.ofSeconds(10), List.of("kill", "-s", name, Long.toString(pid())));
    }

    /** Everything the process wrote so far (stdout and stderr interleaved). */
    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    public List<String> lines() {
        return output().lines().toList();
    }

    /** Waits for the process to exit on its own and returns its status; {@link Command.Failed} with its output if not in time. */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new Command.Failed(label + " (pid " + pid() + ") still running after " + timeout.toSeconds()
                        + " s; output:\n" + tail());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The last lines of the output, for failure messages. */
    public String tail() {
        List<String> lines = lines();
        return "--- " + label + " (" + log + ") ---\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    @Override
    public void close() {
        // Children first (a bash -c or ip netns exec wrapper's children), each by its own PID.
        for (ProcessHandle child : process.descendants().toList()) {
            terminate(child);
        }
        terminate(process.toHandle());
    }

    /** SIGTERM, then SIGKILL after the grace period; true when it exited after the SIGTERM alone. */
    static boolean terminate(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return true;
        }
        handle.destroy();
        try {
            handle.onExit().get(GRACE.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            handle.destroyForcibly();
            try {
                handle.onExit().get(GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception ignored) {
                // the namespace's close finds it still inside and says so
            }
            return false;
        }
    }

    @Override
    public String toString() {
        return label + " (pid " + pid() + ")";
    }
}
