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

/** The JIT compiler threads' nice value follows the data path's load, on a clock the test moves. */
class CompilerPriorityTest {
    private static final long MS = 1_000_000L;
    private static final long START = CompilerPriority.START_NANOS;
    private final List<Integer> set = new ArrayList<>();
    private int answer;
    private final CompilerPriority p = new CompilerPriority(n -> {
        set.add(n);
        return answer;
    }, 0, START);

    /** Looks every 100 ms until {@code until}, the data path carrying {@code perWindow} datagrams each time. */
    private long run(long from, long until, long perWindow, long[] datagrams) {
        long now = from;
        while (now < until) {
            now += 100 * MS;
            datagrams[0] += perWindow;
            p.observe(datagrams[0], now);
        }
        return now;
    }

    @Test
    void aQuietGatewayKeepsItsCompilersAtFullSpeedForItsFirstSecondsThenLowersThem() {
        long[] d = {0};
        long now = run(0, START + CompilerPriority.CALM_NANOS - 200 * MS, 5, d); // pings and keepalives
        assertEquals(List.of(), set, "not during the start");
        assertFalse(p.lowered());
        run(now, now + 300 * MS, 5, d);
        assertEquals(List.of(CompilerPriority.QUIET_NICE), set);
        assertTrue(p.lowered());
    }

    @Test
    void aTransferPutsThemBackAtOnceAndACalmSecondLowersThemAgain() {
        long[] d = {0};
        long now = run(0, START + 2_000 * MS, 0, d);
        assertTrue(p.lowered());
        now = run(now, now + 100 * MS, 30_000, d); // a transfer: 300,000 datagrams a second
        assertFalse(p.lowered(), "raised in the first window of the transfer");
        assertEquals(List.of(CompilerPriority.QUIET_NICE, 0), set);
        now = run(now, now + 5_000 * MS, 30_000, d);
        assertEquals(2, set.size(), "left alone while the transfer lasts");
        now = run(now, now + 900 * MS, 10, d);
        assertFalse(p.lowered(), "a calm second first");
        run(now, now + 200 * MS, 10, d);
        assertTrue(p.lowered());
        assertEquals(List.of(CompilerPriority.QUIET_NICE, 0, CompilerPriority.QUIET_NICE), set);
    }

    @Test
    void aBusyStartIsNotQuiet() {
        long[] d = {0};
        long now = run(0, START + 3_000 * MS, 1_000, d); // 10,000 datagrams a second from the start on
        assertEquals(List.of(), set);
        run(now, now + CompilerPriority.CALM_NANOS + 200 * MS, 0, d);
        assertTrue(p.lowered(), "lowered a calm second after the traffic ended");
    }

    @Test
    void looksCloserThanAWindowApartAreNotCounted() {
        long[] d = {0};
        long now = run(0, START + 2_000 * MS, 0, d);
        assertTrue(p.lowered());
        // 150 datagrams in 10 ms would be 15,000 a second, but a window is 100 ms: 150 in it is quiet
        p.observe(150, now + 10 * MS);
        p.observe(150, now + 100 * MS);
        assertTrue(p.lowered());
    }

    @Test
    void aRefusedChangeLeavesTheCompilersAloneFromThenOnAndIsToldOnce() {
        long[] d = {0};
        long now = run(0, START + 2_000 * MS, 0, d);
        assertTrue(p.lowered());
        answer = -13; // EACCES: the right to lower a nice value is gone
        now = run(now, now + 200 * MS, 30_000, d);
        assertEquals(13, p.takeRefusal());
        assertEquals(0, p.takeRefusal(), "told once");
        run(now, now + 5_000 * MS, 0, d);
        run(now + 5_000 * MS, now + 6_000 * MS, 30_000, d);
        assertEquals(List.of(CompilerPriority.QUIET_NICE, 0), set, "no more attempts");
    }

    @Test
    void restorePutsThemBackAndStops() {
        long[] d = {0};
        long now = run(0, START + 2_000 * MS, 0, d);
        assertTrue(p.lowered());
        p.restore();
        assertFalse(p.lowered());
        run(now, now + 5_000 * MS, 0, d);
        assertEquals(List.of(CompilerPriority.QUIET_NICE, 0), set);
    }

    /** This JVM's own compiler threads: lowered and put back, as a gateway does, when this process may. */
    @Test
    void thisJvmsCompilerThreadsAreFoundAndReniced() throws IOException {
        int[] tids = CompilerPriority.compilerThreads();
        assertTrue(tids.length >= 1, "HotSpot's C1/C2 compiler threads");
        for (int tid : tids) {
            String comm = Files.readString(Path.of("/proc/self/task/" + tid + "/comm"));
            assertTrue(comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre"), comm);
        }
        if (!CompilerPriority.mayLowerNice()) { // not root, no RLIMIT_NICE: a gateway leaves them alone
            assertTrue(CompilerPriority.forThisJvm(0, 0).isEmpty());
            return;
        }
        try {
            assertEquals(0, CompilerPriority.setCompilerThreadsNice(CompilerPriority.QUIET_NICE));
            for (int tid : tids) {
                assertEquals(CompilerPriority.QUIET_NICE, nice(tid));
            }
        } finally {
            assertEquals(0, CompilerPriority.setCompilerThreadsNice(0));
        }
        for (int tid : tids) {
            assertEquals(0, nice(tid));
        }
    }

    /** Field 19 of /proc/self/task/TID/stat, counted after the command name's closing parenthesis. */
    private static int nice(int tid) throws IOException {
        String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[16]);
    }
}
