package sitelink.os;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace {@code sl-nl-PID-N} for the os tests, with one platform thread that has joined it through
 * setns(2): {@link #call} runs code there, so FFM calls (netlink sockets, /proc/sys/net files, TUN devices) act on
 * the namespace and never on the root one. {@link #close()} stops the thread and deletes the namespace.
 */
final class TestNamespace implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final MethodHandle SETNS =
            Libc.function("setns", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final String name;
    private final ExecutorService thread;

    private TestNamespace(String name) {
        this.name = name;
        this.thread = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name(name).unstarted(r));
    }

    static TestNamespace create() throws Exception {
        String name = "sl-nl-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
        run("ip", "netns", "add", name);
        TestNamespace ns = new TestNamespace(name);
        try {
            ns.call(() -> {
                join(name);
                return null;
            });
            ns.ip("link", "set", "lo", "up");
        } catch (Exception e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    String name() {
        return name;
    }

    /** Runs {@code body} on this namespace's thread and returns its result (or throws what it threw). */
    <T> T call(Callable<T> body) throws Exception {
        try {
            return thread.submit(body).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        }
    }

    /** {@code ip -n NAME ARGS...}; fails on a non-zero exit. */
    String ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", name));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    /** {@code ip netns exec NAME CMD...}; fails on a non-zero exit. */
    String exec(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    @Override
    public void close() throws Exception {
        thread.shutdownNow();
        thread.awaitTermination(10, TimeUnit.SECONDS);
        run("ip", "netns", "del", name);
    }

    private static void join(String name) throws Exception {
        int fd = Libc.open("/var/run/netns/" + name, Libc.O_CLOEXEC);
        if (fd < 0) {
            throw new ErrnoException("open netns " + name, -fd);
        }
        try {
            int r;
            try {
                r = (int) SETNS.invokeExact(Libc.errnoState(), fd, CLONE_NEWNET);
            } catch (Throwable t) {
                throw new IllegalStateException("setns call failed", t);
            }
            if (r != 0) {
                throw new ErrnoException("setns " + name, Libc.errno(Libc.errnoState()));
            }
        } finally {
            Libc.close(fd);
        }
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
