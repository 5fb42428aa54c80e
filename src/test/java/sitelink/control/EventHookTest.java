package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real script receives the event in its environment, runs without a shell, and is killed when it overruns. */
class EventHookTest {
    private static final TunnelEvent EVENT = new TunnelEvent(TunnelEvent.Kind.DOWN, Instant.parse("2025-03-01T12:00:00Z"),
            "office-a", "sl-a", "office-b", PeerFacts.THEIRS.toBase64(), "198.18.0.2:51820", TunnelState.DOWN,
            "it's \"down\"; $(touch /tmp/never) `x`");

    private static Path script(Path dir, String body) throws Exception {
        Path p = dir.resolve("hook.sh");
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    @Test
    void theScriptSeesEverySitelinkVariableVerbatim(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("env.txt");
        new EventHook(script(dir, "env | grep '^SITELINK_' | sort > '" + out + "'")).run(EVENT);
        List<String> lines = Files.readAllLines(out);
        assertEquals(List.of(
                "SITELINK_ENDPOINT=198.18.0.2:51820",
                "SITELINK_EVENT=down",
                "SITELINK_INTERFACE=sl-a",
                "SITELINK_PEER=office-b",
                "SITELINK_PUBLIC_KEY=" + PeerFacts.THEIRS.toBase64(),
                "SITELINK_REASON=it's \"down\"; $(touch /tmp/never) `x`",
                "SITELINK_SITE=office-a",
                "SITELINK_STATE=DOWN",
                "SITELINK_TIME=2025-03-01T12:00:00Z"), lines, "no shell ever expanded the reason");
    }

    @Test
    void aHookThatOverrunsIsKilledAtTheTimeout(@TempDir Path dir) throws Exception {
        Path pid = dir.resolve("pid");
        Path hook = script(dir, "echo $$ > '" + pid + "'\nexec sleep 60");
        long start = System.nanoTime();
        new EventHook(hook, Duration.ofSeconds(1)).run(EVENT);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "run returned after " + took);
        Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(Files.readString(pid).strip()));
        if (h.isPresent()) {
            h.get().onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertFalse(h.get().isAlive(), "the hook was killed");
        }
    }

    @Test
    void aChildLeftHoldingTheOutputDoesNotHoldUpTheNextEvent(@TempDir Path dir) throws Exception {
        Path pid = dir.resolve("child");
        Path hook = script(dir, "sleep 60 &\necho $! > '" + pid + "'\necho started\nexit 0");
        try {
            long start = System.nanoTime();
            new EventHook(hook, Duration.ofSeconds(30)).run(EVENT);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "run waited for the hook's child: " + took);
        } finally {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroy);
        }
    }

    @Test
    void aMissingOrNonExecutableHookIsLoggedNotThrown(@TempDir Path dir) throws Exception {
        Path hook = script(dir, "exit 0");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rw-------"));
        new EventHook(hook).run(EVENT);
        new EventHook(dir.resolve("missing")).run(EVENT);
    }

    /**
     * The hook runs as root: `up` checked it, but by the time of an event it may have been made writable by others
     * or handed to another user, and then it must not run (the marker it would write stays absent).
     */
    @Test
    void aHookOthersCouldHaveChangedSinceStartIsNotRun(@TempDir Path dir) throws Exception {
        Path ran = dir.resolve("ran");
        Path hook = script(dir, "touch '" + ran + "'");
        new EventHook(hook).run(EVENT);
        assertTrue(Files.exists(ran), "a trusted hook runs");
        Files.delete(ran);

        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxrwxrwx"));
        new EventHook(hook).run(EVENT);
        assertFalse(Files.exists(ran), "a hook anyone can write did not run");

        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
        if ((Integer) Files.getAttribute(dir, "unix:uid") == 0) {
            Files.setAttribute(hook, "unix:uid", 65534);
            new EventHook(hook).run(EVENT);
            assertFalse(Files.exists(ran), "a hook owned by another user did not run");
        }
    }
}
