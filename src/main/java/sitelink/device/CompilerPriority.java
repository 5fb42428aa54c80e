package sitelink.device;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntUnaryOperator;
import sitelink.os.ffm.Libc;

/**
 * The nice value of the JVM's JIT compiler threads, chosen by how busy the data path is (issue 15). A gateway that has
 * been up a while compiles rarely, but a new handshake after a transfer or an idle spell runs code that seldom runs and
 * sends a few methods to the compilers, whose threads then competed for the CPU with the threads carrying that very
 * handshake and its first packets: on two cores shared by two gateways, a UDP reader waited 0.5 ms for a core while
 * the other gateway's C2 thread compiled (perf sched). So while the data path is quiet the compilers run at nice
 * {@value #QUIET_NICE}: the data-path and handshake threads (nice 0) get a core first, and the compilers take what is
 * left, which on an idle machine is all of it. Once the data path carries more than {@value #BUSY_DATAGRAMS} datagrams
 * per {@link #WINDOW_NANOS} window they go back to nice 0 at once, because at the start of a transfer the JIT compiles
 * the data path, and the sooner it is done the sooner the transfer runs at full speed; after {@link #CALM_NANOS}
 * without such a window they are lowered again.
 *
 * <p>Putting them back needs the right to lower a nice value (root with CAP_SYS_NICE, or RLIMIT_NICE: the systemd unit
 * sets {@code LimitNICE=+0}); {@link #forThisJvm} checks it on a throwaway thread first and, without it, leaves the
 * compilers alone: lowered for good, they would slow every transfer's start. One per process (the compiler threads
 * are the process's): the gateway's own device, never the start's warm-up devices.
 */
final class CompilerPriority {
    static final long WINDOW_NANOS = 100_000_000L;
    /** Per window: 2,000 datagrams a second, a few Mbit/s; pings and keepalives stay far below, a transfer far above. */
    static final long BUSY_DATAGRAMS = 200;
    static final long CALM_NANOS = 1_000_000_000L;
    static final int QUIET_NICE = 10;
    /** From a gateway's start until the compilers may be lowered, quiet or not: {@link #CALM_NANOS} after this. */
    static final long START_NANOS = 4_000_000_000L;

    /** Sets the nice value of every compiler thread; 0 or -errno of the first refusal. */
    private final IntUnaryOperator setNice;
    private boolean lowered;
    /** Set when a change was refused: the compilers are left as they are from then on. */
    private boolean stopped;
    private int refused;
    private long windowStart;
    private long windowDatagrams;
    private long lastBusy;

    /**
     * Starts at the JVM's priority, and lowers it no earlier than {@code quietFrom} + {@link #CALM_NANOS}: a gateway
     * leaves its compilers at full speed for its first seconds (the start's own compilations, and those of the first
     * real traffic, run then).
     */
    CompilerPriority(IntUnaryOperator setNice, long now, long quietFrom) {
        this.setNice = setNice;
        this.windowStart = now;
        this.windowDatagrams = -1;
        this.lastBusy = quietFrom;
    }

    /**
     * The compiler threads of this JVM, if there are any and this process may put them back to nice 0 after lowering
     * them; else empty, and they keep their priority.
     */
    static Optional<CompilerPriority> forThisJvm(long now, long quietFrom) {
        if (compilerThreads().length == 0 || !mayLowerNice()) {
            return Optional.empty();
        }
        return Optional.of(new CompilerPriority(CompilerPriority::setCompilerThreadsNice, now, quietFrom));
    }

    /** The data path has sent and received {@code datagrams} in all so far; called at least every window or so. */
    synchronized void observe(long datagrams, long now) {
        long elapsed = now - windowStart;
        if (stopped || elapsed < WINDOW_NANOS) {
            return;
        }
        boolean busy = windowDatagrams >= 0 && (datagrams - windowDatagrams) * WINDOW_NANOS > BUSY_DATAGRAMS * elapsed;
        windowStart = now;
        windowDatagrams = datagrams;
        if (busy) {
            lastBusy = now;
            if (lowered) {
                set(0);
            }
        } else if (!lowered && now - lastBusy >= CALM_NANOS) {
            set(QUIET_NICE);
        }
    }

    /** Back to the JVM's priority (the device closes). */
    synchronized void restore() {
        if (lowered && !stopped) {
            set(0);
        }
        stopped = true;
    }

    synchronized boolean lowered() {
        return lowered;
    }

    /** The errno of a refused change the first time it is asked, else 0. */
    synchronized int takeRefusal() {
        int e = refused;
        refused = 0;
        return e;
    }

    private void set(int nice) {
        int err = setNice.applyAsInt(nice);
        if (err == 0) {
            lowered = nice != 0;
        } else {
            stopped = true;
            refused = -err;
        }
    }

    /** HotSpot's compiler threads: "C1 CompilerThread0", "C2 CompilerThread0"... (comm keeps 15 characters). */
    static int[] compilerThreads() {
        int[] tids = new int[8];
        int n = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String comm;
                try {
                    comm = Files.readString(task.resolve("comm"));
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
                    if (n == tids.length) {
                        tids = java.util.Arrays.copyOf(tids, n * 2);
                    }
                    tids[n++] = Integer.parseInt(task.getFileName().toString());
                }
            }
        } catch (IOException | RuntimeException e) {
            return new int[0];
        }
        return java.util.Arrays.copyOf(tids, n);
    }

    /** Sets every compiler thread's nice value (looked up each time: HotSpot may start more); 0 or the first -errno. */
    static int setCompilerThreadsNice(int nice) {
        int result = 0;
        for (int tid : compilerThreads()) {
            int r = Libc.setThreadNice(tid, nice);
            if (r != 0 && r != -3 /* ESRCH: the thread ended */ && result == 0) {
                result = r;
            }
        }
        return result;
    }

    /** Whether this process may lower a nice value it raised: tried on a throwaway thread, which ends either way. */
    static boolean mayLowerNice() {
        AtomicBoolean may = new AtomicBoolean();
        Thread t = Thread.ofPlatform().name("nice-probe").start(() ->
                may.set(Libc.setCurrentThreadNice(QUIET_NICE) == 0 && Libc.setCurrentThreadNice(0) == 0));
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return may.get();
    }
}
