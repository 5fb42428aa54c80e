package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace this test run created, named {@code sl-e2e-PID-N-ROLE}. Commands run inside it through
 * {@code ip netns exec}; background processes are remembered and ended by PID on {@link #close()}, which then deletes
 * the namespace (and with it every interface in it). A JVM shutdown hook closes whatever a crashed test left open.
 */
public final class Netns implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final Set<Netns> OPEN = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    /** Pipe readers block until the command exits: virtual threads, so they never starve each other. */
    private static final java.util.concurrent.Executor READERS = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(Netns::close), "netns-cleanup"));
    }

    /** What a command did: its exit code and its output. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        public String describe() {
            return String.join(" ", command) + " -> exit " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }

    private final String name;
    private final Path logDir;
    private final Deque<Proc> processes = new ArrayDeque<>();
    private final AtomicInteger processSequence = new AtomicInteger();
    private boolean closed;

    private Netns(String name) {
        this.name = name;
        this.logDir = E2e.logDir(name);
    }

    /** Creates a fresh namespace with its loopback up. {@code role} is a short word: "a", "b", "office1". */
    public static Netns create(String role) {
        E2e.requireEnvironment();
        String name = "sl-e2e-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet() + "-" + role;
        Netns ns = new Netns(name);
        ns.log("create " + name);
        Result r = run(ns, DEFAULT_TIMEOUT, List.of("ip", "netns", "add", name));
        if (!r.ok()) fail("could not create namespace: " + r.describe());
        OPEN.add(ns);
        ns.ip("link", "set", "lo", "up");
        return ns;
    }

    public String name() {
        return name;
    }

    public Path logDir() {
        return logDir;
    }

    /** Runs a command inside the namespace and waits for it (at most {@code timeout}). */
    public Result exec(Duration timeout, String... command) {
        return run(this, timeout, inside(Arrays.asList(command)));
    }

    public Result exec(String... command) {
        return exec(DEFAULT_TIMEOUT, command);
    }

    /** Runs a command inside the namespace and fails the test unless it exits 0; returns its stdout. */
    public String execOk(String... command) {
        Result r = exec(command);
        if (!r.ok()) fail("in namespace " + name + ": " + r.describe());
        return r.stdout();
    }

    /** {@code ip ARGS} inside the namespace, which must succeed. */
    public String ip(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "ip";
        System.arraycopy(args, 0, command, 1, args.length);
        return execOk(command);
    }

    /** Starts a background process inside the namespace; it is ended by PID when the namespace closes. */
    public synchronized Proc start(String... command) {
        if (closed) throw new IllegalStateException(name + " is closed");
        String base = Path.of(command[0]).getFileName().toString();
        int cp = Arrays.asList(command).indexOf("-cp");
        if (base.equals("java") && cp >= 0) base = command[cp + 2].substring(command[cp + 2].lastIndexOf('.') + 1);
        Path out = logDir.resolve(String.format("%02d-%s.log", processSequence.incrementAndGet(), base));
        List<String> full = inside(Arrays.asList(command));
        log("start " + String.join(" ", full) + "  > " + out.getFileName());
        try {
            Process p = new ProcessBuilder(full).directory(E2e.home().toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            Proc proc = new Proc(base + "@" + name, p, out);
            processes.push(proc);
            log("  pid " + p.pid());
            return proc;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ends every process started here (by PID, newest first), then any other left in the namespace, then deletes it. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        while (!processes.isEmpty()) processes.pop().close();
        // Whatever is still inside was started from here (a daemon that forked): end those PIDs too.
        Result pids = run(this, DEFAULT_TIMEOUT, List.of("ip", "netns", "pids", name));
        for (String pid : pids.stdout().split("\\s+")) {
            if (pid.isBlank()) continue;
            log("ending leftover pid " + pid);
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(h -> {
                h.destroy();
                try {
                    h.onExit().get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                }
            });
        }
        Result del = run(this, DEFAULT_TIMEOUT, List.of("ip", "netns", "del", name));
        if (!del.ok()) System.err.println("e2e: could not delete namespace " + name + ": " + del.describe());
        OPEN.remove(this);
    }

    private List<String> inside(List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return full;
    }

    private static Result run(Netns ns, Duration timeout, List<String> command) {
        ns.log("exec " + String.join(" ", command));
        try {
            Process p = new ProcessBuilder(command).directory(E2e.home().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            CompletableFuture<String> out = readAsync(p.getInputStream());
            CompletableFuture<String> err = readAsync(p.getErrorStream());
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                fail("timed out after " + timeout.toSeconds() + " s: " + String.join(" ", command)
                        + "\nstdout: " + out.getNow("") + "\nstderr: " + err.getNow(""));
            }
            Result r = new Result(command, p.exitValue(), out.join(), err.join());
            if (!r.ok()) ns.log("  exit " + r.exitCode() + ": " + r.stderr().strip());
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static CompletableFuture<String> readAsync(java.io.InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(" + e + ")";
            }
        }, READERS);
    }

    private void log(String line) {
        try {
            Files.writeString(logDir.resolve("commands.log"), LocalTime.now() + " " + line + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // The log is a debugging aid; a test does not fail for it.
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
