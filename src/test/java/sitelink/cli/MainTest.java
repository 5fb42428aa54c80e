package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A mistyped command is a usage error (exit 2, "did you mean"), also when --help follows it: the exit status of the
 * real entry point, in a JVM of its own, as a script running {@code sitelink relaod --help} would see it.
 */
class MainTest {
    @Test
    void anUnknownCommandWithHelpExits2AndSuggestsTheCommandMeant() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "relaod", "--help").redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "sitelink relaod --help ended");
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), said);
        assertTrue(said.contains("unknown command 'relaod'; did you mean 'reload'?"), said);
    }
}
