package sitelink.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayProcessTest {
    @Test
    void gatewayRunsTheSameJvmCommandWithUpInsteadOfDemo() {
        List<String> self = List.of("/usr/lib/jvm/jdk-25/bin/java", "--enable-native-access=ALL-UNNAMED", "-jar",
                "/src/target/sitelink.jar", "demo", "--keep");
        assertEquals(List.of("/usr/lib/jvm/jdk-25/bin/java", "--enable-native-access=ALL-UNNAMED", "-jar",
                        "/src/target/sitelink.jar", "up", "/run/sitelink-demo/office-a.yaml"),
                GatewayProcess.replaceArgs(self, List.of("demo", "--keep"), List.of("up", "/run/sitelink-demo/office-a.yaml")));
    }

    @Test
    void refusesACommandLineThatDoesNotEndWithOurArguments() {
        List<String> self = List.of("java", "-jar", "sitelink.jar", "demo");
        assertThrows(IllegalStateException.class,
                () -> GatewayProcess.replaceArgs(self, List.of("demo", "--keep"), List.of("up", "f")));
        assertThrows(IllegalStateException.class,
                () -> GatewayProcess.replaceArgs(List.of("demo"), List.of("demo"), List.of("up", "f")),
                "the java executable itself is never replaced");
    }
}
