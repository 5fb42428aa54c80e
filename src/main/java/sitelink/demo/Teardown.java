package sitelink.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import sitelink.control.Gateways;
import sitelink.gateway.Gateway;
import sitelink.testbed.Command;
import sitelink.testbed.Namespace;
import sitelink.testbed.Offices;
import sitelink.testbed.Testbed;

/**
 * Removes a demo, whole or half built: stops its gateways by PID (SIGTERM, so each removes its tunnel, routes,
 * addresses, socket and PID file itself), then deletes the namespaces and the private directory. Used at the end of
 * a demo, on failure, on Ctrl-C, and by {@code sitelink demo --down}; safe to run twice.
 */
public final class Teardown {
    private static final long GRACE_SECONDS = 15;
    /** The demo's namespaces have fixed names (sl-demo-wan, sl-demo-gwa, ...), so another run and --down find them. */
    static final Testbed TESTBED = Testbed.fixed("sl-demo");
    /** The two offices' namespaces, in the order they are built. */
    public static final List<String> NAMESPACES = Offices.ROLES.stream().map(TESTBED::name).toList();

    /** What happened: one line per thing removed, one per thing that could not be. */
    public record Report(List<String> done, List<String> problems) {
        public boolean nothingToDo() {
            return done.isEmpty() && problems.isEmpty();
        }
    }

    private Teardown() {
    }

    /** The demo namespaces that exist now (a demo is running, or one was left behind). */
    public static List<String> existing() {
        return NAMESPACES.stream().filter(Namespace::exists).toList();
    }

    /** True when anything of a demo is present: a namespace, a gateway's PID file or the private directory. */
    public static boolean anythingPresent() {
        return !existing().isEmpty() || Files.exists(DemoSites.DIRECTORY)
                || ifaces().stream().anyMatch(i -> Files.exists(Gateway.pidFile(i)));
    }

    private static List<String> ifaces() {
        return List.of(DemoSites.TUNNEL_IFACE_A, DemoSites.TUNNEL_IFACE_B);
    }

    public static synchronized Report run() {
        List<String> done = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int stopped = 0;
        for (ProcessHandle h : gatewayProcesses()) {
            if (stop(h, problems)) {
                stopped++;
            }
        }
        if (stopped > 0) {
            done.add("stopped " + (stopped == 1 ? "1 gateway" : stopped + " gateways")
                    + " (each removed its tunnel interface, routes, addresses, socket, PID and reload files)");
        }
        // A gateway that had to be killed could not clean up after itself: its files are ours to remove.
        for (String iface : ifaces()) {
            removeStale(Gateway.pidFile(iface), problems);
            removeStale(Gateway.reloadFile(iface), problems);
            removeStale(Gateways.socket(iface), problems);
        }
        for (String ns : NAMESPACES) {
            if (Namespace.exists(ns)) {
                strangers(ns).forEach(pid -> problems.add("process " + pid + " (not started by the demo) still runs in "
                        + ns + "; the namespace goes away when it ends"));
            }
        }
        List<String> existing = existing();
        List<String> failed = new ArrayList<>();
        for (String ns : existing) {
            try {
                Namespace.delete(ns);
            } catch (Command.Failed e) {
                failed.add(e.getMessage());
            }
        }
        problems.addAll(failed);
        if (!existing.isEmpty() && failed.isEmpty()) {
            done.add("deleted the namespaces " + String.join(", ", existing) + " with every interface in them");
        }
        if (Files.exists(DemoSites.DIRECTORY)) {
            if (DemoSites.delete()) {
                done.add("deleted " + DemoSites.DIRECTORY + " (site files, keys, logs)");
            } else {
                problems.add("could not delete " + DemoSites.DIRECTORY + "; remove it with: rm -r " + DemoSites.DIRECTORY);
            }
        }
        return new Report(done, problems);
    }

    /**
     * The demo's gateways: the PIDs in /run/sitelink/IFACE.pid of the demo's interfaces, and any process in a demo
     * namespace running a demo site file (one that had not written its PID file yet). A PID is only trusted when its
     * command line names the demo's directory, so a reused PID is never signalled.
     */
    private static List<ProcessHandle> gatewayProcesses() {
        Set<Long> pids = new LinkedHashSet<>();
        ifaces().forEach(i -> GatewayProcess.pidFromFile(i).ifPresent(pids::add));
        for (String ns : existing()) {
            pids.addAll(Namespace.pids(ns));
        }
        return pids.stream().map(ProcessHandle::of).flatMap(Optional::stream).filter(Teardown::isDemoGateway).toList();
    }

    private static boolean isDemoGateway(ProcessHandle h) {
        return h.info().arguments().map(a -> List.of(a).stream().anyMatch(s -> s.startsWith(DemoSites.DIRECTORY + "/")))
                .orElse(false);
    }

    private static List<Long> strangers(String ns) {
        return Namespace.pids(ns).stream().filter(pid -> ProcessHandle.of(pid).map(h -> !isDemoGateway(h)).orElse(false)).toList();
    }

    private static boolean stop(ProcessHandle h, List<String> problems) {
        h.destroy(); // SIGTERM: the gateway's shutdown hook removes what it added
        try {
            h.onExit().get(GRACE_SECONDS, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            h.destroyForcibly();
            problems.add("gateway pid " + h.pid() + " did not stop within " + GRACE_SECONDS + " s after SIGTERM; "
                    + "killed it (its namespace, deleted next, takes its interface and routes with it)");
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // reported above
            }
            return false;
        }
    }

    /** Removes a PID file or socket whose owner is gone. */
    private static void removeStale(Path p, List<String> problems) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            problems.add("could not remove " + p + ": " + e.getMessage());
        }
    }
}
