package sitelink.os.host;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * "Run this in network namespace X": one platform thread that joined a named namespace ({@code ip netns add X},
 * /var/run/netns/X) with setns(2). Sockets, TUN devices and /proc/sys/net files opened on that thread belong to the
 * namespace, and keep belonging to it whichever thread uses them later; the rest of the process stays where it was.
 *
 * <p>A platform thread because setns(2) changes the calling kernel thread: a virtual thread could move to another
 * carrier between the setns and the socket call.
 */
public final class Netns implements AutoCloseable {
    /** The named namespaces iproute2 creates and {@code ip netns exec} enters. */
    public static final Path DIRECTORY = Path.of("/var/run/netns");
    private static final int CLONE_NEWNET = 0x40000000;
    private static final MethodHandle SETNS =
            Libc.function("setns", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final String name;
    private final ExecutorService thread;

    private Netns(String name) {
        this.name = name;
        this.thread = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("netns-" + name).unstarted(r));
    }

    /** A thread inside the named namespace; fails (ErrnoException) when it does not exist or we may not join it. */
    public static Netns enter(String name) throws ErrnoException {
        Netns ns = new Netns(name);
        try {
            ns.call(() -> {
                join(name);
                return null;
            }, Duration.ofSeconds(10));
        } catch (ErrnoException e) {
            ns.close();
            throw e;
        } catch (Exception e) {
            ns.close();
            throw new IllegalStateException("could not join namespace " + name, e);
        }
        return ns;
    }

    /** True when a named namespace {@code name} exists. */
    public static boolean exists(String name) {
        return DIRECTORY.resolve(name).toFile().exists();
    }

    public String name() {
        return name;
    }

    /** Runs {@code body} on the namespace's thread and returns its result, or throws what it threw. */
    public <T> T call(Callable<T> body, Duration timeout) throws Exception {
        Future<T> f = thread.submit(body);
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw e;
        }
    }

    /** Starts {@code body} on the namespace's thread without waiting for it. */
    public <T> Future<T> submit(Callable<T> body) {
        return thread.submit(body);
    }

    /** Moves the calling (platform) thread into the named namespace. */
    public static void join(String name) throws ErrnoException {
        String path = DIRECTORY.resolve(name).toString();
        int fd = Libc.open(path, Libc.O_CLOEXEC);
        if (fd < 0) {
            throw new ErrnoException("open " + path, -fd);
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

    /** Stops the thread (the namespace itself stays: whoever created it deletes it). */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
