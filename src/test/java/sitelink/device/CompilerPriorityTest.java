package sitelink.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import sitelink.os.ffm.Libc;

/** The JIT compiler threads' scheduling policy follows the data path's load, on a clock the test moves. */
class CompilerPriorityTest {
    private static final long MS = 1_000_000L;
    private static final int LOWER = 1;
    private static final int RESTORE = 0;
    private final List<Integer> set = new ArrayList<>();
    private int answer;
    /** The compiler threads' time on a CPU and waiting for one, in nanoseconds; moved by {@link #run}. */
    private final long[] times = {0, 0};
    /** What the compiler threads get in each window {@link #run} moves through: ran, waited (ms). */
    private long ranMs = 20;
    private long waitedMs = 5;
    private final CompilerPriority p = new CompilerPriority(n -> {
        set.add(n);
        return answer;
    }, t -> {
        t[0] = times[0];
        t[1] = times[1];
    }, 0);

    /** Looks every 100 ms until {@code until}, the data path carrying {@code perWindow} datagrams each time. */
    private long run(long from, long until, long perWindow, long[] datagrams) {
        long now = from;
        while (now < until) {
            now += 100 * MS;
            datagrams[0] += perWindow;
            times[0] += ranMs * MS;
            times[1] += waitedMs * MS;
            p.observe(datagrams[0], now);
        }
        return now;
    }

    @Test
    void aQuietGatewayLowersItsCompilersInItsFirstWindows() {
        long[] d = {0};
        run(0, 100 * MS, 5, d);
        assertEquals(List.of(), set, "the first window only sets the baselines");
        run(100 * MS, 200 * MS, 5, d); // pings and keepalives
        assertEquals(List.of(LOWER), set, "the warm-up's compilations go on, behind the first pings");
        assertTrue(p.lowered());
    }

    @Test
    void aStartingDeviceLowersThemAtOnceAndTheFirstWindowsDoNotPutThemBack() {
        p.lowerNow();
        assertTrue(p.lowered());
        long[] d = {0};
        run(0, 3_000 * MS, 5, d);
        assertEquals(List.of(LOWER), set);
    }

    @Test
    void aTransferPutsThemBackAtOnceAndACalmSecondLowersThemAgain() {
        long[] d = {0};
        long now = run(0, 2_000 * MS, 0, d);
        assertTrue(p.lowered());
        now = run(now, now + 100 * MS, 30_000, d); // a transfer: 300,000 datagrams a second
        assertFalse(p.lowered(), "raised in the first window of the transfer");
        assertEquals(List.of(LOWER, RESTORE), set);
        now = run(now, now + 5_000 * MS, 30_000, d);
        assertEquals(2, set.size(), "left alone while the transfer lasts");
        now = run(now, now + 900 * MS, 10, d);
        assertFalse(p.lowered(), "a calm second first");
        run(now, now + 200 * MS, 10, d);
        assertTrue(p.lowered());
        assertEquals(List.of(LOWER, RESTORE, LOWER), set);
    }

    @Test
    void aBurstPutsThemBackAtTheNextLookWithoutWaitingForTheWindow() {
        long[] d = {0};
        long now = run(0, 2_000 * MS, 0, d);
        assertTrue(p.lowered());
        assertFalse(p.burst(1), "a ping");
        assertFalse(p.burst(CompilerPriority.BURST - 1));
        assertTrue(p.burst(10), "a TCP stream's first window: wake the timer thread");
        p.observe(10, now + MS); // 1 ms into a window
        assertFalse(p.lowered());
        assertFalse(p.burst(10), "not lowered: nothing to wake");
        run(now + MS, now + 900 * MS, 0, d);
        assertFalse(p.lowered(), "a calm second after the burst first");
        run(now + 900 * MS, now + 1_300 * MS, 0, d);
        assertTrue(p.lowered());
    }

    @Test
    void aBusyStartIsNotQuiet() {
        long[] d = {0};
        long now = run(0, 3_000 * MS, 1_000, d); // 10,000 datagrams a second from the start on
        assertEquals(List.of(), set);
        run(now, now + CompilerPriority.CALM_NANOS + 200 * MS, 0, d);
        assertTrue(p.lowered(), "lowered a calm second after the traffic ended");
    }

    @Test
    void starvedCompilersGoBackToTheNormalPolicyForAWhile() {
        long[] d = {0};
        long now = run(0, 2_000 * MS, 0, d);
        assertTrue(p.lowered());
        ranMs = 1; // other processes keep the CPUs busy: SCHED_IDLE threads wait
        waitedMs = 99;
        now = run(now, now + 100 * MS, 0, d);
        assertFalse(p.lowered(), "starved compilers could stall the JVM");
        ranMs = 50; // at the normal policy they get their share
        waitedMs = 50;
        now = run(now, now + CompilerPriority.STARVED_HOLD_NANOS - 200 * MS, 0, d);
        assertFalse(p.lowered(), "held at the normal policy");
        run(now, now + 300 * MS, 0, d);
        assertTrue(p.lowered(), "lowered again once the hold is over");
        assertEquals(List.of(LOWER, RESTORE, LOWER), set);
    }

    /** How often {@link #lowered()}'s compiler statistics were read, and the JVM's compilation time it sees. */
    private int reads;
    private long compiled;

    /** A priority, lowered at once, whose compilers' statistics are counted as read and which sees {@link #compiled}. */
    private CompilerPriority lowered() {
        CompilerPriority q = new CompilerPriority(n -> {
            set.add(n);
            return 0;
        }, t -> {
            reads++;
            t[0] = times[0];
            t[1] = times[1];
        }, () -> compiled, 0);
        q.lowerNow();
        return q;
    }

    /** Looks every 100 ms until {@code until} with no traffic, {@code compiledPerWindow} more compilation time each. */
    private long runIdle(CompilerPriority q, long from, long until, long compiledPerWindow) {
        long now = from;
        while (now < until) {
            now += 100 * MS;
            times[0] += ranMs * MS;
            times[1] += waitedMs * MS;
            compiled += compiledPerWindow;
            q.observe(0, now);
        }
        return now;
    }

    @Test
    void idleCompilersAreLookedAtOnceASecondAndBusyOnesEveryWindow() {
        CompilerPriority q = lowered();
        long now = runIdle(q, 0, 3_000 * MS, 0);
        assertTrue(q.lowered());
        assertTrue(reads >= 3 && reads <= 4, "an idle gateway's 30 windows read them " + reads + " times");
        reads = 0;
        runIdle(q, now, now + 1_000 * MS, 7); // compilations end in every window
        assertEquals(10, reads, "compiling: every window");
    }

    @Test
    void starvedCompilersWithNothingToCompileAreFoundWithinASecond() {
        CompilerPriority q = lowered();
        long start = runIdle(q, 0, 2_000 * MS, 0);
        assertTrue(q.lowered());
        ranMs = 1; // other processes keep the CPUs busy
        waitedMs = 99;
        long now = start;
        while (q.lowered() && now - start < 5_000 * MS) {
            now = runIdle(q, now, now + 100 * MS, 0);
        }
        assertFalse(q.lowered(), "starved compilers could stall the JVM");
        assertTrue(now - start <= 1_000 * MS, "found after " + (now - start) / MS + " ms");
    }

    @Test
    void compilersSharingTheCpusAmongThemselvesAreNotStarved() {
        long[] d = {0};
        ranMs = 50; // two gateways' compilers on two cores: each runs about as long as it waits
        waitedMs = 60;
        run(0, 3_000 * MS, 0, d);
        assertTrue(p.lowered());
        assertEquals(List.of(LOWER), set);
    }

    @Test
    void looksCloserThanAWindowApartAreNotCounted() {
        long[] d = {0};
        long now = run(0, 2_000 * MS, 0, d);
        assertTrue(p.lowered());
        // 150 datagrams in 10 ms would be 15,000 a second, but a window is 100 ms: 150 in it is quiet
        p.observe(150, now + 10 * MS);
        p.observe(150, now + 100 * MS);
        assertTrue(p.lowered());
    }

    @Test
    void aRefusedChangeLeavesTheCompilersAloneFromThenOnAndIsToldOnce() {
        long[] d = {0};
        long now = run(0, 2_000 * MS, 0, d);
        assertTrue(p.lowered());
        answer = -1; // EPERM: the right to leave SCHED_IDLE is gone
        now = run(now, now + 200 * MS, 30_000, d);
        assertEquals(1, p.takeRefusal());
        assertEquals(0, p.takeRefusal(), "told once");
        run(now, now + 5_000 * MS, 0, d);
        run(now + 5_000 * MS, now + 6_000 * MS, 30_000, d);
        assertEquals(List.of(LOWER, RESTORE), set, "no more attempts");
    }

    @Test
    void restorePutsThemBackAndStops() {
        long[] d = {0};
        long now = run(0, 2_000 * MS, 0, d);
        assertTrue(p.lowered());
        p.restore();
        assertFalse(p.lowered());
        run(now, now + 5_000 * MS, 0, d);
        assertEquals(List.of(LOWER, RESTORE), set);
    }

    @Test
    void thisJvmsCompilerThreadsSchedulerStatisticsAreRead() throws IOException {
        long[] t = new long[2];
        CompilerPriority.SchedStats stats = new CompilerPriority.SchedStats();
        stats.read(t);
        assertTrue(t[0] > 0 && t[1] >= 0, "ran " + t[0] + " ns, waited " + t[1] + " ns");
        // The sums lie between the same threads' figures read as text before and after (they only grow).
        int[] tids = CompilerPriority.compilerThreads();
        long[] before = schedstat(tids);
        stats.read(t);
        long[] after = schedstat(tids);
        assertTrue(before[0] <= t[0] && t[0] <= after[0], before[0] + " <= " + t[0] + " <= " + after[0]);
        assertTrue(before[1] <= t[1] && t[1] <= after[1], before[1] + " <= " + t[1] + " <= " + after[1]);
    }

    private static long[] schedstat(int[] tids) throws IOException {
        long[] sum = new long[2];
        for (int tid : tids) {
            String[] f = Files.readString(Path.of("/proc/self/task/" + tid + "/schedstat")).trim().split(" ");
            sum[0] += Long.parseLong(f[0]);
            sum[1] += Long.parseLong(f[1]);
        }
        return sum;
    }

    /** This JVM's own compiler threads: lowered and put back, as a gateway does, when this process may. */
    @Test
    void thisJvmsCompilerThreadsAreFoundLoweredAndPutBack() throws IOException {
        int[] tids = CompilerPriority.compilerThreads();
        assertTrue(tids.length >= 1, "HotSpot's C1/C2 compiler threads");
        for (int tid : tids) {
            String comm = Files.readString(Path.of("/proc/self/task/" + tid + "/comm"));
            assertTrue(comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre"), comm);
        }
        if (!CompilerPriority.mayLowerAndRestore()) { // not root, no RLIMIT_NICE: a gateway leaves them alone
            assertTrue(CompilerPriority.forThisJvm(0).isEmpty());
            return;
        }
        try {
            assertEquals(0, CompilerPriority.setCompilerThreadsPolicy(Libc.SCHED_IDLE));
            for (int tid : tids) {
                assertEquals(Libc.SCHED_IDLE, policy(tid));
            }
        } finally {
            assertEquals(0, CompilerPriority.setCompilerThreadsPolicy(Libc.SCHED_OTHER));
        }
        for (int tid : tids) {
            assertEquals(Libc.SCHED_OTHER, policy(tid));
        }
    }

    /** Field 41 of /proc/self/task/TID/stat (the policy), counted after the command name's closing parenthesis. */
    private static int policy(int tid) throws IOException {
        String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[38]);
    }
}
