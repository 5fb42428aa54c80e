package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * scripts/jit-directives.json and {@link JitDirectives}, which adds it to a gateway's JVM: this JDK takes the file,
 * and every class it names exists, so that a JDK that renamed one is noticed here rather than by a slower start.
 */
class JitDirectivesTest {
    private static final Path FILE = Path.of("scripts/jit-directives.json");

    @AfterEach
    void clear() {
        System.clearProperty(JitDirectives.PROPERTY);
    }

    @Test
    void theJvmTakesTheFileTheLaunchersName() {
        System.setProperty(JitDirectives.PROPERTY, FILE.toAbsolutePath().toString());
        assertEquals("1 compiler directives added", JitDirectives.addFromProperty());
    }

    @Test
    void withoutAFileItSaysWhyAndAddsNothing() {
        assertTrue(JitDirectives.addFromProperty().startsWith("none (no sitelink.jitDirectives"));
        System.setProperty(JitDirectives.PROPERTY, "/nonexistent/jit-directives.json");
        assertTrue(JitDirectives.addFromProperty().contains("cannot be read"));
    }

    @Test
    void everyClassItNamesExists() throws Exception {
        Matcher m = Pattern.compile("\"([A-Za-z0-9_.$]+?)\\*?::\\*\"").matcher(Files.readString(FILE));
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
        }
        assertEquals(4, names.size(), names.toString());
        for (String name : names) {
            Class.forName(name, false, ClassLoader.getSystemClassLoader()); // throws when it is gone
        }
    }
}
