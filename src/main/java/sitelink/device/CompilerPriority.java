package sitelink.device;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntUnaryOperator;
import java.util.function.LongSupplier;
import sitelink.os.ffm.Libc;

/**
 * The scheduling policy of the JVM's JIT compiler threads, chosen by how busy the data path is (issue 15). While a
 * gateway is quiet its compilers still have work: at start what the warm-up made hot, later what a new handshake sends
 * them (code that seldom runs crosses a threshold). On two cores shared by two gateways, the threads carrying a
 * handshake and the first pings waited for a core while a compiler thread held it (perf sched: a UDP reader runnable
 * 0.5-2.6 ms behind a C2 thread), and a higher nice value did not cure it: the scheduler lets the running thread finish
 * its slice whatever its weight. So while the data path is quiet the compilers run as {@code SCHED_IDLE}: a waking
 * data-path or handshake thread takes their core at once, and they use what no one else wants, which on an idle machine
 * is all of it. They go back to the normal policy at once when the data path carries a burst (a batch of
 * {@value #BURST} datagrams or more: {@link #burst}) or more than {@value #BUSY_DATAGRAMS} datagrams in a
 * {@link #WINDOW_NANOS} window, because at the start of a transfer the JIT compiles the data path and the sooner it is
 * done the sooner the transfer runs at full speed; after {@link #CALM_NANOS} without either they are lowered again.
 *
 * <p>Starved compiler threads would stall the whole JVM if it needed one of them (a safepoint waits for a compiler
 * thread caught inside the VM, a thread asking for a compilation waits for the queue's lock): on a machine whose CPUs
 * other processes keep busy, SCHED_IDLE threads get almost nothing. So the compiler threads' own scheduler statistics
 * are read (/proc/self/task/TID/schedstat): when they waited for a CPU at least half of the time since the last look
 * and ran less than a tenth of that, they go back to the normal policy and stay there {@link #STARVED_HOLD_NANOS}.
 * They are read every window while the JVM's compilations move on (its total compilation time grew), else every
 * {@value #IDLE_LOOK_EVERY}th unless the last look found them waiting for a CPU a tenth of the time: an idle
 * gateway's compilers have nothing to hold up, and the look costs a few hundred microseconds of cold code. Compiler threads sharing the CPUs among themselves (two gateways' on one machine) run
 * about as long as they wait, and stay lowered.
 *
 * <p>Putting them back needs CAP_SYS_NICE or an RLIMIT_NICE that allows nice 0 (the systemd unit sets
 * {@code LimitNICE=+0}); {@link #forThisJvm} checks it on a throwaway thread first and, without it, leaves the
 * compilers alone: lowered for good, they would slow every transfer's start. One per process (the compiler threads
 * are the process's): the gateway's own device, never the start's warm-up devices.
 */
final class CompilerPriority {
    static final long WINDOW_NANOS = 100_000_000L;
    /** Per window: 2,000 datagrams a second, a few Mbit/s; pings and keepalives stay far below, a transfer far above. */
    static final long BUSY_DATAGRAMS = 200;
    static final long CALM_NANOS = 1_000_000_000L;
    /**
     * Datagrams in one batch of a data-path thread (one TUN read's, one recvmmsg's) that mark a transfer starting: pings,
     * keepalives and handshakes come one at a time, a TCP stream's first window (ten segments) together.
     */
    static final int BURST = 4;
    /** How long the compilers keep the normal policy after a window in which they starved. */
    static final long STARVED_HOLD_NANOS = 10_000_000_000L;
    /** While no compilation ends, the compiler threads' statistics are read every this many windows only. */
    static final int IDLE_LOOK_EVERY = 10;

    /** Lowers every compiler thread (argument 1) or puts it back (0); 0 or -errno of the first refusal. */
    private final IntUnaryOperator setLowered;
    /** The compiler threads' time on a CPU and waiting for one so far ({@link SchedStats}). */
    private final ThreadTimes times;
    /** The JVM's total compilation time so far (any unit), or null to read {@link #times} every window. */
    private final LongSupplier compiled;
    private long lastCompiled = Long.MIN_VALUE;
    private int idleWindows;
    /** Read by the data path once per batch ({@link #burst}). */
    private volatile boolean lowered;
    /** A data-path thread saw a batch of {@link #BURST} datagrams or more while lowered; the timer thread acts on it. */
    private volatile boolean burstSeen;
    private volatile int burstDatagrams;
    /** Set when a change was refused: the compilers are left as they are from then on. */
    private boolean stopped;
    private int refused;
    private long windowStart;
    private long windowDatagrams;
    private final long[] read = new long[2];
    private long windowRan;
    private long windowWaited;
    private long windowReadAt;
    private long lastBusy;
    /** Why the last change was made: quiet, burst, busy, starved, closing. */
    private String why = "";

    /** The compiler threads' CPU time and runnable waiting time so far, in nanoseconds; a negative first when unknown. */
    interface ThreadTimes {
        void read(long[] ranAndWaited);
    }

    /**
     * Starts at the JVM's policy, as if the data path had been quiet for a while: {@link #lowerNow}, or the first quiet
     * window after a first one that sets the baselines, lowers them.
     */
    CompilerPriority(IntUnaryOperator setLowered, ThreadTimes times, long now) {
        this(setLowered, times, null, now);
    }

    /** As above; {@code compiled} tells when the compilers work, and while it does not move they are read less often. */
    CompilerPriority(IntUnaryOperator setLowered, ThreadTimes times, LongSupplier compiled, long now) {
        this.setLowered = setLowered;
        this.times = times;
        this.compiled = compiled;
        this.windowStart = now;
        this.windowDatagrams = -1;
        this.windowRan = -1;
        this.lastBusy = now - CALM_NANOS;
    }

    /**
     * The compiler threads of this JVM, if there are any and this process may put them back to the normal policy
     * after lowering them; else empty, and they keep their priority.
     */
    static Optional<CompilerPriority> forThisJvm(long now) {
        if (compilerThreads().length == 0 || !mayLowerAndRestore()) {
            return Optional.empty();
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        LongSupplier compiled = jit != null && jit.isCompilationTimeMonitoringSupported()
                ? jit::getTotalCompilationTime : null;
        return Optional.of(new CompilerPriority(
                lower -> setCompilerThreadsPolicy(lower != 0 ? Libc.SCHED_IDLE : Libc.SCHED_OTHER),
                new SchedStats(), compiled, now));
    }

    /**
     * Lowers them now: a gateway's device has just started, after the warm-up, with no traffic yet; its first pings
     * come at once, while the compilers still work through what the warm-up gave them.
     */
    synchronized void lowerNow() {
        if (!stopped && !lowered) {
            set(true, "start");
        }
    }

    /** The data path has sent and received {@code datagrams} in all so far; called at least every window or so. */
    synchronized void observe(long datagrams, long now) {
        if (stopped) {
            return;
        }
        if (burstSeen) { // a transfer is starting: the compilers at full speed now, not at the end of the window
            burstSeen = false;
            lastBusy = now;
            if (lowered) {
                set(false, "a batch of " + burstDatagrams + " datagrams");
            }
        }
        long elapsed = now - windowStart;
        if (elapsed < WINDOW_NANOS) {
            return;
        }
        boolean first = windowDatagrams < 0; // nothing to compare with yet: the next window decides
        boolean busy = !first && (datagrams - windowDatagrams) * WINDOW_NANOS > BUSY_DATAGRAMS * elapsed;
        boolean starved = starved(now);
        windowStart = now;
        windowDatagrams = datagrams;
        if (first) {
            return;
        }
        if (busy || starved) {
            lastBusy = starved ? Math.max(lastBusy, now + STARVED_HOLD_NANOS - CALM_NANOS) : Math.max(lastBusy, now);
            if (lowered) {
                set(false, starved ? "starved" : "busy");
            }
        } else if (!lowered && now - lastBusy >= CALM_NANOS) {
            set(true, "quiet");
        }
    }

    /**
     * Whether the compiler threads, lowered, waited for a CPU at least half of the time since the last look and ran
     * less than a tenth of that: other processes keep the machine busy. Their statistics are read only while they are
     * lowered, and while no compilation ends only every {@value #IDLE_LOOK_EVERY}th window.
     */
    private boolean starved(long now) {
        if (!lowered) {
            windowRan = -1; // read only while lowered: the first window after lowering sets the baseline
            return false;
        }
        if (compiled != null) {
            long c = compiled.getAsLong();
            boolean moved = c != lastCompiled;
            lastCompiled = c;
            if (!moved && windowRan >= 0 && ++idleWindows < IDLE_LOOK_EVERY) {
                return false;
            }
            idleWindows = 0;
        }
        times.read(read);
        if (read[0] < 0) {
            windowRan = -1; // unreadable: the data path alone decides
            return false;
        }
        long ran = read[0] - windowRan;
        long waited = read[1] - windowWaited;
        long span = Math.max(WINDOW_NANOS, now - windowReadAt);
        boolean starved = windowRan >= 0 && ran >= 0 && waited >= span / 2 && ran * 10 < waited;
        if (waited * 10 >= span) {
            idleWindows = IDLE_LOOK_EVERY; // they waited for a CPU: look again in the next window, not a second later
        }
        windowRan = read[0];
        windowWaited = read[1];
        windowReadAt = now;
        return starved;
    }

    /**
     * A data-path thread carried a batch of {@code datagrams}: true when that is a burst while the compilers are
     * lowered, and the caller should wake the thread that calls {@link #observe}, which puts them back. Lock-free: a
     * volatile read per batch.
     */
    boolean burst(int datagrams) {
        if (datagrams < BURST || !lowered) {
            return false;
        }
        burstDatagrams = datagrams;
        burstSeen = true;
        return true;
    }

    /** Back to the JVM's policy (the device closes). */
    synchronized void restore() {
        if (lowered && !stopped) {
            set(false, "closing");
        }
        stopped = true;
    }

    boolean lowered() {
        return lowered;
    }

    /** The errno of a refused change the first time it is asked, else 0. */
    synchronized int takeRefusal() {
        int e = refused;
        refused = 0;
        return e;
    }

    /** Why the last change was made (for the log): quiet, burst, busy, starved, closing. */
    synchronized String why() {
        return why;
    }

    private void set(boolean lower, String reason) {
        why = reason;
        int err = setLowered.applyAsInt(lower ? 1 : 0);
        if (err == 0) {
            lowered = lower;
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

    /** Sets every compiler thread's scheduling policy (looked up each time: HotSpot may start more); 0 or the first -errno. */
    static int setCompilerThreadsPolicy(int policy) {
        int result = 0;
        for (int tid : compilerThreads()) {
            int r = Libc.setThreadPolicy(tid, policy);
            if (r != 0 && r != -3 /* ESRCH: the thread ended */ && result == 0) {
                result = r;
            }
        }
        return result;
    }

    /**
     * The compiler threads' time on a CPU and waiting on a run queue, summed, from the first two fields of
     * /proc/self/task/TID/schedstat (nanoseconds); -1 first when there is none to read. An idle gateway reads this every
     * window, so it is kept cheap: the threads are looked up (a walk over every thread's comm) again only every
     * {@value #LOOKUP_EVERY} reads or after one of them could not be read (HotSpot adds and retires them; a change moves
     * the sums, which {@link #starved} takes for one odd window at most), and the numbers are parsed from the bytes.
     */
    static final class SchedStats implements ThreadTimes {
        static final int LOOKUP_EVERY = 100;
        private Path[] files = new Path[0];
        private int reads;
        private boolean lookUp = true;

        @Override
        public void read(long[] ranAndWaited) {
            if (lookUp || reads++ % LOOKUP_EVERY == 0) {
                int[] tids = compilerThreads();
                files = new Path[tids.length];
                for (int i = 0; i < tids.length; i++) {
                    files[i] = Path.of("/proc/self/task/" + tids[i] + "/schedstat");
                }
                lookUp = false;
            }
            long ran = 0;
            long waited = 0;
            int found = 0;
            for (Path f : files) {
                try {
                    byte[] b = Files.readAllBytes(f);
                    int end = skipNumber(b, 0);
                    ran += parse(b, 0, end);
                    waited += parse(b, end + 1, skipNumber(b, end + 1));
                    found++;
                } catch (IOException | RuntimeException e) {
                    lookUp = true; // the thread ended meanwhile: look again next time
                }
            }
            ranAndWaited[0] = found == 0 ? -1 : ran;
            ranAndWaited[1] = waited;
        }

        private static int skipNumber(byte[] b, int from) {
            int i = from;
            while (i < b.length && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
            if (i == from) {
                throw new NumberFormatException("no number in schedstat");
            }
            return i;
        }

        private static long parse(byte[] b, int from, int to) {
            long v = 0;
            for (int i = from; i < to; i++) {
                v = v * 10 + (b[i] - '0');
            }
            return v;
        }
    }

    /**
     * Whether this process may move a thread to SCHED_IDLE and back: tried on a throwaway thread, which ends either
     * way.
     */
    static boolean mayLowerAndRestore() {
        AtomicBoolean may = new AtomicBoolean();
        Thread t = Thread.ofPlatform().name("sched-probe").start(() ->
                may.set(Libc.setThreadPolicy(Libc.gettid(), Libc.SCHED_IDLE) == 0
                        && Libc.setThreadPolicy(Libc.gettid(), Libc.SCHED_OTHER) == 0));
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return may.get();
    }
}
