package sitelink.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import sitelink.os.ffm.ErrnoException;
import sitelink.os.host.Netns;
import sitelink.os.host.Sysctl;

/**
 * A network namespace a {@link Testbed} created. Commands run inside it ({@code ip netns exec}, {@code ip -n}); Java
 * code runs inside it on a thread that joined it ({@link #call}), so sockets, TUN devices and /proc/sys/net files
 * opened there belong to it. Background processes ({@link #start}) are remembered and ended by PID on
 * {@link #close()}, which then ends any other process left inside and deletes the namespace, and with it every
 * interface in it. Every failure is a {@link Command.Failed} naming the command and what it printed.
 */
public final class Namespace implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final Path logDir;
    private final Path directory;
    private final Consumer<Namespace> onClose;
    private final Deque<Proc> processes = new ArrayDeque<>();
    private final AtomicInteger processSequence = new AtomicInteger();
    private Netns thread;
    private boolean closed;

    Namespace(String name, Path logDir, Path directory, Consumer<Namespace> onClose) {
        this.name = name;
        this.logDir = logDir;
        this.directory = directory;
        this.onClose = onClose;
    }

    void create() {
        if (logDir != null) {
            try {
                Files.createDirectories(logDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        log("create " + name);
        Command.Result r = run(DEFAULT_TIMEOUT, List.of("ip", "netns", "add", name));
        if (!r.ok()) {
            throw new Command.Failed("could not create namespace " + name + ": " + r.describe());
        }
        try {
            ip("link", "set", "lo", "up");
        } catch (RuntimeException e) {
            delete(name);
            throw e;
        }
    }

    /** True when a named namespace exists (/var/run/netns/NAME). */
    public static boolean exists(String name) {
        return Netns.exists(name);
    }

    /** Deletes the named namespace if it exists; {@link Command.Failed} when it cannot. */
    public static void delete(String name) {
        if (exists(name)) {
            Command.runOk(DEFAULT_TIMEOUT, List.of("ip", "netns", "del", name));
        }
    }

    /** The PIDs of every process inside the named namespace ({@code ip netns pids}); empty when it is gone. */
    public static List<Long> pids(String name) {
        Command.Result r = Command.run(DEFAULT_TIMEOUT, null, List.of("ip", "netns", "pids", name));
        return Arrays.stream(r.stdout().split("\\s+")).filter(s -> s.matches("\\d+")).map(Long::parseLong).toList();
    }

    public String name() {
        return name;
    }

    /** Where its commands ({@code commands.log}) and processes' output go; the test bed's log root + name. */
    public Path logDir() {
        if (logDir == null) {
            throw new IllegalStateException(name + " keeps no logs");
        }
        return logDir;
    }

    /** Runs a command inside the namespace and waits for it (at most {@code timeout}), whatever its exit code. */
    public Command.Result exec(Duration timeout, String... command) {
        return run(timeout, inside(Arrays.asList(command)));
    }

    public Command.Result exec(String... command) {
        return exec(DEFAULT_TIMEOUT, command);
    }

    /** Runs a command inside the namespace, which must exit 0; returns its stdout. */
    public String execOk(String... command) {
        Command.Result r = exec(command);
        if (!r.ok()) {
            throw new Command.Failed("in namespace " + name + ": " + r.describe());
        }
        return r.stdout();
    }

    /** {@code ip -n NAME ARGS}, which must succeed; returns its stdout. */
    public String ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "-n", name));
        command.addAll(Arrays.asList(args));
        Command.Result r = run(DEFAULT_TIMEOUT, command);
        if (!r.ok()) {
            throw new Command.Failed(String.join(" ", command) + " failed: " + (r.stderr() + r.stdout()).strip());
        }
        return r.stdout();
    }

    /** Gives {@code dev} the address {@code cidr} and brings it up. */
    public void address(String dev, String cidr) {
        ip("addr", "add", cidr, "dev", dev);
        ip("link", "set", dev, "up");
    }

    /** Writes a sysctl of this namespace (net.*) from a thread inside it: no sysctl command needed. */
    public void sysctl(String key, String value) {
        log("sysctl " + key + "=" + value);
        try {
            call(() -> new Sysctl().set(key, value));
        } catch (Exception e) {
            throw new Command.Failed("in namespace " + name + ": " + e.getMessage());
        }
    }

    /** Runs {@code body} on this namespace's thread and returns its result (or throws what it threw). */
    public <T> T call(Callable<T> body) throws Exception {
        return thread().call(body, DEFAULT_TIMEOUT);
    }

    /** The platform thread inside this namespace (joined on first use, stopped on close). */
    public synchronized Netns thread() throws ErrnoException {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        if (thread == null) {
            thread = Netns.enter(name);
        }
        return thread;
    }

    /** Stops the thread inside, if there is one (the next {@link #thread()} joins again): nothing of ours holds the namespace. */
    public synchronized void leave() {
        if (thread != null) {
            thread.close();
            thread = null;
        }
    }

    /** Starts a background process inside; its output goes to {@code NN-PROGRAM.log} in the log directory. */
    public synchronized Proc start(String... command) {
        String base = Path.of(command[0]).getFileName().toString();
        int cp = Arrays.asList(command).indexOf("-cp");
        if (base.equals("java") && cp >= 0) {
            base = command[cp + 2].substring(command[cp + 2].lastIndexOf('.') + 1);
        }
        Path out = logDir().resolve(String.format("%02d-%s.log", processSequence.incrementAndGet(), base));
        return start(out, base + "@" + name, Arrays.asList(command));
    }

    /** Starts a background process inside, its output appended to {@code output}; ended by PID on {@link #close()}. */
    public synchronized Proc start(Path output, String label, List<String> command) {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        List<String> full = inside(command);
        log("start " + String.join(" ", full) + "  > " + output.getFileName());
        try {
            Process p = new ProcessBuilder(full).directory(directory == null ? null : directory.toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            Proc proc = new Proc(label, p, output);
            processes.push(proc);
            log("  pid " + p.pid());
            return proc;
        } catch (IOException e) {
            throw new Command.Failed("cannot start " + String.join(" ", full) + ": " + e.getMessage());
        }
    }

    /**
     * Ends every process started here (by PID, newest first), then any other still inside (a daemon that forked),
     * then deletes the namespace. Safe to call twice.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            while (!processes.isEmpty()) {
                processes.pop().close();
            }
            for (long pid : pids(name)) {
                log("ending leftover pid " + pid);
                ProcessHandle.of(pid).ifPresent(Proc::terminate);
            }
            if (thread != null) {
                thread.close();
            }
            Command.Result del = run(DEFAULT_TIMEOUT, List.of("ip", "netns", "del", name));
            if (!del.ok()) {
                System.err.println("testbed: could not delete namespace " + name + ": " + del.describe());
            }
        } finally {
            onClose.accept(this);
        }
    }

    private List<String> inside(List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return full;
    }

    private Command.Result run(Duration timeout, List<String> command) {
        log("exec " + String.join(" ", command));
        Command.Result r = Command.run(timeout, directory, command);
        if (!r.ok()) {
            log("  exit " + r.exitCode() + ": " + r.stderr().strip());
        }
        return r;
    }

    private void log(String line) {
        if (logDir == null) {
            return;
        }
        try {
            Files.writeString(logDir.resolve("commands.log"), LocalTime.now() + " " + line + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // The log is a debugging aid; nothing fails for it.
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
