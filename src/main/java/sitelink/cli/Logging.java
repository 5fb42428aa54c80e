package sitelink.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import sitelink.control.LocalClock;

/**
 * One-line log records on stderr, with wireguard-go's LOG_LEVEL convention: {@code verbose} (debug), {@code error},
 * {@code silent}; anything else means info. Only sitelink's own loggers speak below debug: the libraries' (jetcd, gRPC,
 * Netty, Vert.x, the JDK's) say things like "maximum number of auto retries reached (attempt: 1, error: UNAVAILABLE:
 * Channel shutdownNow invoked)" that name no cause and no fix, beside a line of ours that already says what failed
 * and what happens now; they show with {@code LOG_LEVEL=debug}.
 */
final class Logging {
    /** The name every logger of sitelink's starts with. */
    static final String OURS = "sitelink";
    /**
     * The loggers whose level is set here. java.util.logging holds loggers weakly: one collected loses its level, and
     * sitelink's loggers made after that would inherit the root's (off below debug).
     */
    private static final List<Logger> CONFIGURED = new ArrayList<>();


    private Logging() {
    }

    static void configure(String prefix) {
        configure(prefix, System.getenv().getOrDefault("SITELINK_LOG_FORMAT", "text"));
    }

    /**
     * {@code format} "json" writes one JSON object per line (time, level, site, logger, message) for log shippers;
     * anything else the one-line text form.
     */
    static void configure(String prefix, String format) {
        configure(prefix, format, System.getenv().getOrDefault("LOG_LEVEL", ""));
    }

    /** As {@link #configure(String, String)}, with {@code logLevel} for the environment's LOG_LEVEL. */
    static synchronized void configure(String prefix, String format, String logLevel) {
        boolean json = format.equalsIgnoreCase("json");
        Level level = switch (logLevel.toLowerCase(Locale.ROOT)) {
            case "verbose", "debug" -> Level.FINE;
            case "error" -> Level.SEVERE;
            case "silent" -> Level.OFF;
            default -> Level.INFO;
        };
        boolean debug = level.intValue() <= Level.FINE.intValue();
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Logger ours = Logger.getLogger(OURS);
        CONFIGURED.clear();
        CONFIGURED.add(ours);
        ConsoleHandler h = new ConsoleHandler();
        h.setLevel(level);
        // Levels keep the libraries from even making their records; the filter holds should one set its own level.
        h.setFilter(r -> debug || isOurs(r.getLoggerName()));
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String level = switch (r.getLevel().intValue()) {
                    case 1000 -> "ERROR";
                    case 900 -> "WARN";
                    case 800 -> "INFO";
                    default -> "DEBUG";
                };
                if (json) {
                    // A node from the factory: an ObjectMapper (and its date formats' locale data) cost a gateway's
                    // start 0.2-1.5 s as a static field, text logs included (issue 15).
                    ObjectNode o = JsonNodeFactory.instance.objectNode();
                    o.put("time", java.time.Instant.ofEpochMilli(r.getMillis()).toString());
                    o.put("level", level);
                    o.put("site", prefix);
                    o.put("logger", r.getLoggerName());
                    o.put("message", formatMessage(r));
                    if (r.getThrown() != null) {
                        o.put("error", r.getThrown().toString());
                    }
                    return o.toString() + System.lineSeparator();
                }
                String line = LocalClock.format(r.getInstant()) + " " + level + " (" + prefix + ") " + formatMessage(r)
                        + System.lineSeparator();
                if (r.getThrown() != null) {
                    line += "  " + r.getThrown() + System.lineSeparator();
                }
                return line;
            }
        });
        root.addHandler(h);
        root.setLevel(debug ? level : Level.OFF);
        ours.setLevel(level);
    }

    private static boolean isOurs(String logger) {
        return logger != null && (logger.equals(OURS) || logger.startsWith(OURS + "."));
    }
}
