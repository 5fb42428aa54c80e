package sitelink.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sitelink.control.Audit;

/**
 * {@code sitelink audit [--json] [--fail-on SEVERITY] [--state-dir DIR | --no-state] FILE...}: the periodic review of
 * site files (docs/audit.md). Findings on stdout, one a line ({@code file:line: severity: what; fix}) or as JSON;
 * exit 1 when one is at or above {@code --fail-on}.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Review site files: weak or old keys, loose permissions, wide selectors, allow-all policies, "
                + "keepalives, and changes since the last audit.")
public final class AuditCommand implements Callable<Integer> {
    /** Where the fingerprints of audited files are kept between audits. */
    public static final Path STATE_DIRECTORY = Path.of("/var/lib/sitelink/audit");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    final KeyCommands.Io io = new KeyCommands.Io();

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "site files; audited together, so a remote site's "
            + "selectors are compared with its own file when it is among them")
    List<Path> files;

    @Option(names = "--json", description = "Print the findings as a JSON array.")
    boolean json;

    @Option(names = "--fail-on", paramLabel = "SEVERITY", defaultValue = "warning",
            description = "Exit 1 when a finding is at least this severe: error, warning or info (default: ${DEFAULT-VALUE}).")
    String failOn;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Where fingerprints of audited files are kept "
            + "(default: " + "/var/lib/sitelink/audit" + ").")
    Path stateDir;

    @Option(names = "--no-state", description = "Neither compare with nor record the last audit.")
    boolean noState;

    @Override
    public Integer call() throws JsonProcessingException {
        Audit.Severity threshold;
        try {
            threshold = Audit.Severity.valueOf(failOn.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            io.err.println("sitelink audit: --fail-on takes error, warning or info, not " + failOn);
            return 2;
        }
        Optional<Path> state = noState ? Optional.empty() : Optional.of(stateDir == null ? STATE_DIRECTORY : stateDir);
        List<Audit.Finding> findings = new Audit(Instant.now(), state).run(files).stream()
                .sorted(Comparator.comparing(Audit.Finding::file).thenComparingInt(Audit.Finding::line)).toList();
        if (json) {
            io.out.println(JSON.writeValueAsString(findings.stream().map(f -> Map.of("file", f.file(), "line", f.line(),
                    "severity", f.severity().word(), "code", f.code(), "message", f.message(), "fix", f.fix())).toList()));
        } else {
            findings.forEach(io.out::println);
            long failing = findings.stream().filter(f -> f.severity().compareTo(threshold) >= 0).count();
            io.out.println(files.size() + (files.size() == 1 ? " file" : " files") + " audited: "
                    + (findings.isEmpty() ? "no findings" : findings.size() + (findings.size() == 1 ? " finding" : " findings")
                    + " (" + failing + " at or above " + threshold.word() + ")"));
        }
        io.out.flush();
        return findings.stream().anyMatch(f -> f.severity().compareTo(threshold) >= 0) ? 1 : 0;
    }
}
