package sitelink.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sitelink.config.SiteFile;
import sitelink.control.Gateways;
import sitelink.control.StatusReport;
import sitelink.device.DeviceStatus;

/** {@code sitelink status [--json] [SITE|FILE|IFACE]}: each tunnel's state at a glance (docs/status.md). */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show each tunnel of the running gateways: ESTABLISHED, CONNECTING, IDLE or DOWN with the "
                + "reason, endpoints, handshake and key age, traffic, keepalive, roaming and drops by reason.",
                "Without an argument shows every running sitelink gateway and device."})
public final class StatusCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print the stable JSON form (docs/status.md) instead of the table.")
    boolean json;

    @Parameters(arity = "0..1", paramLabel = "SITE|FILE|IFACE",
            description = "A site name, a site file, or a tunnel interface name.")
    String which;

    @Override
    public Integer call() {
        List<String> ifaces = Gateways.interfaces();
        List<DeviceStatus> shown = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        String onlyIface = null;
        if (which != null && Files.isRegularFile(Path.of(which))) {
            SiteFile sf = SiteFile.load(Path.of(which));
            if (sf.config().isEmpty()) {
                System.err.println("sitelink: " + which + " has errors; run 'sitelink check " + which + "'");
                return 1;
            }
            onlyIface = sf.config().get().tunnel().name();
        }
        for (String iface : ifaces) {
            if (onlyIface != null && !iface.equals(onlyIface)) {
                continue;
            }
            try {
                DeviceStatus s = Gateways.status(iface);
                if (onlyIface == null && which != null && !which.equals(iface) && !which.equals(s.site())) {
                    continue;
                }
                shown.add(s);
            } catch (IOException e) {
                if (which != null && (which.equals(iface) || iface.equals(onlyIface))) {
                    errors.add(iface + ": " + e.getMessage());
                }
            }
        }
        errors.forEach(e -> System.err.println("sitelink: " + e));
        if (shown.isEmpty()) {
            if (errors.isEmpty()) {
                System.err.println("sitelink: " + (which == null ? "no sitelink gateway is running"
                        : "no running gateway matches " + which) + " (looked in " + Gateways.RUN_DIRECTORY + " and "
                        + Gateways.SOCKET_DIRECTORY + ")");
            }
            return 1;
        }
        System.out.print(json ? StatusReport.json(shown) + "\n" : StatusReport.table(shown));
        return 0;
    }
}
