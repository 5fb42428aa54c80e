package sitelink.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import sitelink.config.ConfigProblem;
import sitelink.config.SiteFile;
import sitelink.config.SystemChecks;
import sitelink.gateway.Gateway;
import sitelink.gateway.RunningGateway;
import sitelink.os.ffm.Libc;
import sitelink.os.process.Pidfd;

/**
 * {@code sitelink reload FILE}: validates the changed file, asks the running gateway to apply it (SIGHUP), and waits
 * for the gateway's report (/run/sitelink/IFACE.reload): what it added, removed and changed, or why it refused.
 * The PID file only names a candidate: {@link RunningGateway} signals it only if it is that site's gateway.
 */
@Command(name = "reload", mixinStandardHelpOptions = true,
        description = {"Check FILE, then tell the gateway running it ('sitelink up FILE') to apply it: remote sites that "
                + "did not change keep their tunnels. Same as sending the gateway SIGHUP (systemctl reload), but waits for "
                + "the gateway to say what it changed, or why it refused; exits 1 when it refused."})
public final class ReloadCommand implements Callable<Integer> {
    private static final int SIGHUP = 1;
    /** How long to wait for the gateway's report: a reload resolves endpoint names, which may take seconds. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Parameters(paramLabel = "FILE", description = "The site file the gateway runs.")
    Path file;

    /** Where the gateway's PID and reload files are; tests point it elsewhere. */
    Path runDirectory = Gateway.RUN_DIRECTORY;
    final KeyCommands.Io io = new KeyCommands.Io();

    @Override
    public Integer call() {
        SiteFile sf = SiteFile.load(file);
        List<ConfigProblem> problems = new ArrayList<>(sf.problems());
        problems.addAll(SystemChecks.files(sf));
        problems.forEach(io.err::println);
        if (sf.config().isEmpty() || problems.stream().anyMatch(ConfigProblem::isError)) {
            io.err.println("sitelink: " + file + " has errors; the running gateway was not changed");
            return 1;
        }
        String iface = sf.config().get().tunnel().name();
        return switch (RunningGateway.find(runDirectory, iface, file)) {
            case RunningGateway.Lookup.NotFound(String why) -> {
                io.err.println("sitelink: " + why);
                yield 1;
            }
            case RunningGateway.Lookup.Found(Pidfd gateway) -> {
                try (gateway) {
                    yield reload(gateway, iface);
                }
            }
        };
    }

    private int reload(Pidfd gateway, String iface) {
        long pid = gateway.pid();
        Path reportFile = Gateway.reloadFile(runDirectory, iface);
        long before = reloadNumber(reportFile);
        int rc = gateway.signal(SIGHUP);
        if (rc != 0) {
            io.err.println("sitelink: cannot signal the gateway (pid " + pid + "): " + Libc.errnoName(rc)
                    + "; is it still running?");
            return 1;
        }
        if (before < 0) { // a gateway that does not report its reloads
            io.out.println("sitelink: asked the gateway for " + iface + " (pid " + pid + ") to reload " + file
                    + "; its log says what changed");
            return 0;
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            List<String> report = read(reportFile);
            if (report.size() >= 2 && number(report.getFirst()) > before) {
                boolean ok = report.get(1).equals("ok");
                List<String> messages = report.subList(2, report.size());
                if (ok) {
                    messages.forEach(m -> io.out.println("sitelink: " + m));
                } else {
                    io.err.println("sitelink: the gateway for " + iface + " (pid " + pid + ") reported problems "
                            + "reloading " + file + ":");
                    messages.forEach(m -> io.err.println("  " + m));
                }
                return ok ? 0 : 1;
            }
            try {
                Thread.sleep(50); // polling the report file for the gateway's answer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
        io.err.println("sitelink: the gateway for " + iface + " (pid " + pid + ") did not report the reload within "
                + WAIT.toSeconds() + " s; its log says whether it applied " + file);
        return 1;
    }

    /** The number of the latest reload in {@code report}, or -1 when there is no such file. */
    private static long reloadNumber(Path report) {
        List<String> lines = read(report);
        return lines.isEmpty() ? -1 : number(lines.getFirst());
    }

    private static long number(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<String> read(Path report) {
        try {
            return Files.readAllLines(report);
        } catch (IOException e) {
            return List.of();
        }
    }
}
