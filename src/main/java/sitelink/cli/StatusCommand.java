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

/** {@code sitelink status [--json] [--summary] [--all] [--remote GLOB] [--state S] [SITE|FILE|IFACE]}: each tunnel's state at a glance (docs/status.md). */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show each tunnel of the running gateways: ESTABLISHED, CONNECTING, IDLE or DOWN with the "
                + "reason, endpoints, handshake and key age, traffic, keepalive, roaming and drops by reason.",
                "Without an argument shows every running sitelink gateway and device."})
public final class StatusCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print the stable JSON form (docs/status.md) instead of the table.")
    boolean json;

    @Option(names = "--remote", paramLabel = "GLOB",
            description = "Only the remote sites whose name matches (* and ?; repeatable), e.g. --remote 'branch-1*'.")
    List<String> remotes = new ArrayList<>();

    @Option(names = "--state", paramLabel = "STATE", split = ",",
            description = "Only remote sites in these states: ESTABLISHED, CONNECTING, IDLE, DOWN (IKEv2 also WAITING).")
    List<String> states = new ArrayList<>();

    @Option(names = "--all", description = "List every remote site; past "
            + StatusReport.COLLAPSE_ABOVE + " on a gateway the table otherwise lists only those not ESTABLISHED.")
    boolean all;

    @Option(names = "--summary", description = "Only each gateway's summary line: its remote sites counted by state.")
    boolean summary;

    @Parameters(arity = "0..1", paramLabel = "SITE|FILE|IFACE",
            description = "A site name, a site file, or a tunnel interface name.")
    String which;

    @Override
    public Integer call() {
        for (String st : states) {
            if (!List.of("ESTABLISHED", "CONNECTING", "IDLE", "DOWN", "WAITING")
                    .contains(st.trim().toUpperCase(java.util.Locale.ROOT))) {
                System.err.println("sitelink: --state " + st + " is not a state; use ESTABLISHED, CONNECTING, IDLE, "
                        + "DOWN or WAITING");
                return 2;
            }
        }
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
        String only = onlyIface;
        for (Gateways.Question<DeviceStatus> q : Gateways.askStatus(
                ifaces.stream().filter(i -> only == null || i.equals(only)).toList())) {
            String iface = q.iface();
            try {
                DeviceStatus s = q.answer();
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
        StatusReport.View view = new StatusReport.View(remotes,
                new java.util.HashSet<>(states.stream().map(x -> x.trim().toUpperCase(java.util.Locale.ROOT)).toList()),
                all, summary);
        System.out.print(json ? StatusReport.json(shown, view) + "\n" : StatusReport.table(shown, view));
        return 0;
    }
}
