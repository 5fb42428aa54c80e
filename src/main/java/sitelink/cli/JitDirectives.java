package sitelink.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;

/**
 * The gateways' JIT compiler directives (scripts/jit-directives.json, named by the launchers with
 * {@code -Dsitelink.jitDirectives=FILE}), added to the running JVM as {@code jcmd PID Compiler.directives_add FILE}
 * adds them: through the JVM's DiagnosticCommand MBean. Not with {@code -XX:CompilerDirectivesFile}: that needs a
 * diagnostic option and makes the JVM print "1 compiler directives added" on the console at every start, before any
 * message of the command's own (a gateway refusing a broken site file said that line first).
 */
final class JitDirectives {
    /** The system property the launchers set to the directives file. */
    static final String PROPERTY = "sitelink.jitDirectives";

    private JitDirectives() {
    }

    /**
     * Adds the directives of the file the property names; returns what the JVM said ("1 compiler directives added"),
     * or why nothing was added (no property, no file, a JVM without the MBean). Never throws: the gateway runs either
     * way, only its start is slower without them.
     */
    static String addFromProperty() {
        String name = System.getProperty(PROPERTY);
        if (name == null || name.isBlank()) {
            return "none (no " + PROPERTY + ")";
        }
        Path file = Path.of(name);
        if (!Files.isReadable(file)) {
            return "none (" + file + " cannot be read)";
        }
        try {
            Object said = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            return String.valueOf(said).strip();
        } catch (Exception | LinkageError e) {
            return "none (" + e + ")";
        }
    }
}
