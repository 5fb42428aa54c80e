package sitelink.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.os.host.SystemChanges;

/** The PID and reload files `sitelink reload` uses, and "own what you add" for them and their directory. */
class GatewayPidFileTest {
    @TempDir
    Path tmp;

    @Test
    void removesThePidFileAndTheDirectoryItCreated() throws IOException {
        Path run = tmp.resolve("run/sitelink");
        SystemChanges changes = new SystemChanges();
        Gateway.writeRunFiles(run, "sl-b", changes);
        assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(run.resolve("sl-b.pid")));
        assertEquals(List.of("0", "ok", "no reload yet"), Files.readAllLines(run.resolve("sl-b.reload")),
                "the reload report starts at 0, so 'sitelink reload' waits for number 1");
        assertEquals(List.of(), changes.undoAll());
        assertFalse(Files.exists(run), "the directory the gateway created is gone");
    }

    @Test
    void leavesADirectoryThatWasAlreadyThere() throws IOException {
        Path run = Files.createDirectories(tmp.resolve("run"));
        SystemChanges changes = new SystemChanges();
        Gateway.writeRunFiles(run, "sl-b", changes);
        assertEquals(List.of(), changes.undoAll());
        assertFalse(Files.exists(run.resolve("sl-b.pid")));
        assertTrue(Files.isDirectory(run), "someone else's directory stays");
    }

    @Test
    void leavesTheDirectoryWhileAnotherGatewaysPidFileIsInIt() throws IOException {
        Path run = tmp.resolve("run");
        SystemChanges first = new SystemChanges();
        Gateway.writeRunFiles(run, "sl-b", first);
        SystemChanges second = new SystemChanges();
        Gateway.writeRunFiles(run, "sl-c", second);
        assertEquals(List.of(), first.undoAll(), "the first gateway stops without a complaint");
        assertTrue(Files.exists(run.resolve("sl-c.pid")), "the second gateway's PID file is untouched");
    }
}
