package sitelink.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which command lines are "sitelink up" of a given site file, seen from the process's own root and directory. */
class RunningGatewayTest {
    @TempDir
    Path dir;

    private static final Path ROOT = Path.of("/");

    @Test
    void theLaunchersCommandLineWithTheSameFileMatches() throws Exception {
        Path site = Files.writeString(dir.resolve("office-a.yaml"), "x");
        List<String> java = List.of("/usr/lib/jvm/temurin-25/bin/java", "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-jar", "/src/sitelink/target/sitelink.jar", "up", "--log-format", "json", site.toString());
        assertTrue(RunningGateway.runs(java, site, ROOT, ROOT));
        assertTrue(RunningGateway.runs(List.of("java", "-cp", "x", "sitelink.cli.Main", "up", site.toString()), site, ROOT, ROOT));
        assertTrue(RunningGateway.runs(List.of("java", "-jar", "sitelink.jar", "up", "office-a.yaml"), site, ROOT, dir),
                "a relative FILE is the gateway's, from its own working directory");
        assertTrue(RunningGateway.runs(List.of("java", "-jar", "sitelink.jar", "up", site.toString()), dir.resolve("./office-a.yaml"),
                ROOT, ROOT), "the same file by another name");
    }

    @Test
    void otherCommandsFilesAndProgramsDoNotMatch() throws Exception {
        Path site = Files.writeString(dir.resolve("office-a.yaml"), "x");
        Path other = Files.writeString(dir.resolve("office-b.yaml"), "x");
        assertFalse(RunningGateway.runs(List.of("java", "-jar", "sitelink.jar", "up", other.toString()), site, ROOT, ROOT));
        assertFalse(RunningGateway.runs(List.of("java", "-jar", "sitelink.jar", "check", site.toString()), site, ROOT, ROOT));
        assertFalse(RunningGateway.runs(List.of("java", "-jar", "other.jar", "up", site.toString()), site, ROOT, ROOT));
        assertFalse(RunningGateway.runs(List.of("vi", site.toString()), site, ROOT, ROOT));
        assertFalse(RunningGateway.runs(List.of("java", "-jar"), site, ROOT, ROOT));
        assertFalse(RunningGateway.runs(List.of(), site, ROOT, ROOT), "a zombie's empty command line");
    }
}
