package sitelink.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace {@code sl-nl-PID-N} for the os tests, with one platform thread that has joined it through
 * setns(2): {@link #call} runs code there, so FFM calls (netlink sockets, /proc/sys/net files, TUN devices) act on
 * the namespace and never on the root one. {@link #close()} stops the thread and deletes the namespace.
 */
public final class TestNamespace implements AutoCloseable {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final String name;
    private final Netns thread;

    private TestNamespace(String name, Netns thread) {
        this.name = name;
        this.thread = thread;
    }

    public static TestNamespace create() throws Exception {
        String name = "sl-nl-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
        run("ip", "netns", "add", name);
        try {
            TestNamespace ns = new TestNamespace(name, Netns.enter(name));
            ns.ip("link", "set", "lo", "up");
            return ns;
        } catch (Exception e) {
            run("ip", "netns", "del", name);
            throw e;
        }
    }

    public String name() {
        return name;
    }

    /** Runs {@code body} on a thread inside this namespace and returns its result (or throws what it threw). */
    public <T> T call(Callable<T> body) throws Exception {
        return thread.call(body, Duration.ofSeconds(30));
    }

    /** {@code ip -n NAME ARGS...}; fails on a non-zero exit. */
    public String ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", name));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    /** {@code ip netns exec NAME CMD...}; fails on a non-zero exit. */
    public String exec(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    @Override
    public void close() throws Exception {
        thread.close();
        run("ip", "netns", "del", name);
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }
}
