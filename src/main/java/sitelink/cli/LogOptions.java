package sitelink.cli;

import picocli.CommandLine.Option;

/** The logging options the long-running commands ({@code up}, {@code device}) share; a picocli mixin. */
final class LogOptions {
    @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "${env:SITELINK_LOG_FORMAT:-text}",
            description = "Log as one-line text (default) or as JSON lines (also env SITELINK_LOG_FORMAT=json).")
    String format;

    /** Sets up logging for {@code tag} (the interface or site name every line carries). */
    void configure(String tag) {
        Logging.configure(tag, format);
    }
}
