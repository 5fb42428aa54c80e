package sitelink.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import sitelink.config.SiteFile;
import sitelink.control.Diagnose;
import sitelink.control.Gateways;
import sitelink.os.host.Netlink;
import sitelink.os.host.Sysctl;

/** {@code sitelink diagnose FILE}: the troubleshooting checklist against the running gateway (docs/status.md). */
@Command(name = "diagnose", mixinStandardHelpOptions = true,
        description = {"Run the troubleshooting checklist against the running gateway of FILE: key pair, handshake "
                + "with each remote site (triggering one if needed), routes, forwarding, overlapping subnets, path "
                + "MTU, clock. One line per check: PASS, WARN or FAIL with the remedy. Exit 0 when none fails."})
public final class DiagnoseCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The site file the gateway runs.")
    Path file;

    @Override
    public Integer call() throws Exception {
        SiteFile sf = SiteFile.load(file);
        if (sf.config().isEmpty()) {
            System.out.println("FAIL  site file                    " + file + " has errors: "
                    + sf.errors().stream().map(Object::toString).toList() + "; fix them (sitelink check " + file + ")");
            return 1;
        }
        List<Diagnose.Check> checks;
        try (Netlink netlink = Netlink.open()) {
            String iface = sf.config().get().tunnel().name();
            checks = new Diagnose(file, sf.config().get(), i -> {
                try {
                    return Gateways.status(i);
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
            }, peer -> Gateways.initiateHandshake(iface, peer), netlink, new Sysctl()).run();
        }
        checks.forEach(System.out::println);
        return checks.stream().anyMatch(c -> c.outcome() == Diagnose.Outcome.FAIL) ? 1 : 0;
    }
}
