package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * scripts/jit-directives.json, which the launchers give the gateways' JVM: this JDK accepts it as the launchers pass
 * it (stdout left to the command), and every class it names exists, so that a JDK that renamed one is noticed here
 * rather than by a slower start.
 */
class JitDirectivesTest {
    private static final Path FILE = Path.of("scripts/jit-directives.json");

    @Test
    void theJvmReadsTheFileAndSaysSoOnStderrOnly() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "-XX:+UnlockDiagnosticVMOptions", "-XX:CompilerDirectivesFile=" + FILE,
                "-XX:+DisplayVMOutputToStderr", "-version").start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertTrue(err.contains("1 compiler directives added"), err);
        assertFalse(out.contains("directives"), "stdout stays the command's: " + out);
    }

    @Test
    void everyClassItNamesExists() throws Exception {
        Matcher m = Pattern.compile("\"([A-Za-z0-9_.$]+)\\*?::\\*\"").matcher(Files.readString(FILE));
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
        }
        assertEquals(5, names.size(), names.toString());
        for (String name : names) {
            Class.forName(name, false, ClassLoader.getSystemClassLoader()); // throws when it is gone
        }
    }
}
