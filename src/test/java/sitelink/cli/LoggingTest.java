package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What reaches stderr: sitelink's own lines at the level asked for, and the libraries' (jetcd, gRPC, Netty, Vert.x,
 * any other) only with LOG_LEVEL=debug.
 */
class LoggingTest {
    private static final List<String> LIBRARIES = List.of("io.etcd.jetcd.Util", "io.grpc.internal.ManagedChannelImpl",
            "io.netty.util.internal.PlatformDependent", "io.vertx.core.impl.VertxImpl", "com.example.Other");

    private static final Pattern LINE = Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [A-Z]+ \\(shop-2\\) ");

    @AfterEach
    void restore() throws IOException {
        LogManager.getLogManager().readConfiguration();
    }

    /** Configures logging as {@code LOG_LEVEL=logLevel} would, logs {@code level} from ours and the libraries. */
    private static List<String> lines(String logLevel, Level level) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            Logging.configure("shop-2", "text", logLevel);
            System.gc(); // a logger kept only weakly would lose its level here
            Logger.getLogger("sitelink.agent").log(level, "ours");
            for (String library : LIBRARIES) {
                Logger.getLogger(library).log(level, "from " + library);
            }
            System.getLogger("sitelink.gateway").log(System.Logger.Level.ERROR, "ours through System.Logger");
        } finally {
            System.setErr(saved);
        }
        // Only the handler's lines (TIME LEVEL (SITE) MESSAGE), not what else writes to stderr meanwhile (a fuzzing
        // agent instrumenting the classes just loaded, say), without their time.
        return err.toString(StandardCharsets.UTF_8).lines().filter(l -> LINE.matcher(l).lookingAt())
                .map(l -> l.substring(l.indexOf(' ', 11) + 1)).toList();
    }

    @Test
    void belowDebugOnlyOurLinesShow() {
        assertEquals(List.of("WARN (shop-2) ours", "ERROR (shop-2) ours through System.Logger"),
                lines("info", Level.WARNING));
        assertEquals(List.of("ERROR (shop-2) ours", "ERROR (shop-2) ours through System.Logger"),
                lines("", Level.SEVERE));
        assertEquals(List.of("ERROR (shop-2) ours", "ERROR (shop-2) ours through System.Logger"),
                lines("error", Level.SEVERE));
        assertEquals(List.of("ERROR (shop-2) ours through System.Logger"), lines("error", Level.WARNING));
        assertEquals(List.of(), lines("silent", Level.SEVERE));
    }

    @Test
    void atDebugTheLibrariesShowToo() {
        List<String> lines = lines("debug", Level.FINE);
        assertEquals("DEBUG (shop-2) ours", lines.getFirst());
        for (String library : LIBRARIES) {
            assertTrue(lines.contains("DEBUG (shop-2) from " + library), lines::toString);
        }
        assertTrue(lines("verbose", Level.WARNING).contains("WARN (shop-2) from io.grpc.internal.ManagedChannelImpl"));
    }
}
