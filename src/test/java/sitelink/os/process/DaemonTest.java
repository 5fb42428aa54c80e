package sitelink.os.process;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonTest {
    @TempDir
    Path tmp;

    private long childPid = -1;

    @AfterEach
    void killChild() {
        if (childPid > 0) {
            ProcessHandle.of(childPid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private List<String> child(String mode) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of("target", "test-classes").toAbsolutePath() + ":" + Path.of("target", "classes").toAbsolutePath();
        return List.of(java, "-cp", cp, DaemonTestChild.class.getName(), mode, tmp.resolve("x.sock").toString());
    }

    @Test
    void returnsReadyOnceTheChildAnswersInItsOwnSession() throws Exception {
        Daemon.Outcome o = Daemon.detach(child("ok"), tmp.resolve("x.sock"), Duration.ofSeconds(20));
        childPid = o.pid();
        assertTrue(o.ready(), o.message());
        assertEquals(0, o.exitCode());
        assertTrue(ProcessHandle.of(o.pid()).map(ProcessHandle::isAlive).orElse(false), "child keeps running");
        assertNotEquals(session(ProcessHandle.current().pid()), session(o.pid()), "child left our session");
        assertEquals(o.pid(), session(o.pid()), "child leads its own session");
    }

    @Test
    void reportsTheChildsErrorWhenItExits() {
        Daemon.Outcome o = Daemon.detach(child("fail"), tmp.resolve("x.sock"), Duration.ofSeconds(20));
        childPid = o.pid();
        assertFalse(o.ready());
        assertEquals(1, o.exitCode());
        assertTrue(o.message().contains("status 3") && o.message().contains("need root / CAP_NET_ADMIN"), o.message());
    }

    @Test
    void givesUpAndStopsAChildThatNeverGetsReady() throws Exception {
        Daemon.Outcome o = Daemon.detach(child("hang"), tmp.resolve("x.sock"), Duration.ofSeconds(2));
        childPid = o.pid();
        assertFalse(o.ready());
        assertTrue(o.message().contains("did not answer"), o.message());
        // The child would sleep 60 s: its exit within 10 s is detach's SIGTERM.
        ProcessHandle.of(o.pid()).ifPresent(child -> assertDoesNotThrow(() -> child.onExit().get(10, TimeUnit.SECONDS),
                "child was stopped"));
    }

    /** Field 6 of /proc/PID/stat: the session id. */
    private static long session(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[3]);
    }
}
