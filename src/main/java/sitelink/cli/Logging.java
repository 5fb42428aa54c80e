package sitelink.cli;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One-line log records on stderr, with wireguard-go's LOG_LEVEL convention: {@code verbose} (debug), {@code error},
 * {@code silent}; anything else means info.
 */
final class Logging {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

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
        boolean json = format.equalsIgnoreCase("json");
        String env = System.getenv().getOrDefault("LOG_LEVEL", "").toLowerCase(Locale.ROOT);
        Level level = switch (env) {
            case "verbose", "debug" -> Level.FINE;
            case "error" -> Level.SEVERE;
            case "silent" -> Level.OFF;
            default -> Level.INFO;
        };
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        ConsoleHandler h = new ConsoleHandler();
        h.setLevel(level);
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
                    com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode();
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
                String line = TIME.format(LocalDateTime.now()) + " " + level + " (" + prefix + ") " + formatMessage(r)
                        + System.lineSeparator();
                if (r.getThrown() != null) {
                    line += "  " + r.getThrown() + System.lineSeparator();
                }
                return line;
            }
        });
        root.addHandler(h);
        root.setLevel(level);
    }
}
