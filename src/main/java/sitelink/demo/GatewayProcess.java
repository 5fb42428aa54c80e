package sitelink.demo;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import sitelink.control.Gateways;
import sitelink.device.PeerStatus;
import sitelink.gateway.Gateway;
import sitelink.os.process.Daemon;

/**
 * One office's gateway: {@code sitelink up FILE} run by this same JVM command inside the gateway's namespace, in a
 * session of its own ({@code setsid}) so a Ctrl-C at the terminal reaches only the demo, which then stops the
 * gateways in order. Its output goes to a log file next to its site file.
 */
public final class GatewayProcess {
    private final DemoSites.Site site;
    private final Process process;

    private GatewayProcess(DemoSites.Site site, Process process) {
        this.site = site;
        this.process = process;
    }

    /**
     * This JVM's command line with {@code ourArgs} (the arguments sitelink itself was given, at the end of the command
     * line) replaced by {@code newArgs}.
     */
    public static List<String> selfCommand(List<String> ourArgs, List<String> newArgs) {
        return replaceArgs(Daemon.selfCommand(), ourArgs, newArgs);
    }

    static List<String> replaceArgs(List<String> self, List<String> ourArgs, List<String> newArgs) {
        int start = self.size() - ourArgs.size();
        if (start < 1 || !self.subList(start, self.size()).equals(ourArgs)) {
            throw new IllegalStateException("cannot tell sitelink's arguments apart in this JVM's command line " + self);
        }
        List<String> cmd = new ArrayList<>(self.subList(0, start));
        cmd.addAll(newArgs);
        return cmd;
    }

    /** Starts {@code java ... sitelink up FILE} in the site's gateway namespace. */
    public static GatewayProcess start(DemoSites.Site site, List<String> ourArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", site.gatewayNamespace(), "setsid"));
        cmd.addAll(selfCommand(ourArgs, List.of("up", site.file().toString())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(site.log().toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        return new GatewayProcess(site, p);
    }

    public DemoSites.Site site() {
        return site;
    }

    /** The gateway's PID as it wrote it to /run/sitelink/IFACE.pid, once it is up. */
    public Optional<Long> pid() {
        return pidFromFile(site.tunnelIface());
    }

    static Optional<Long> pidFromFile(String iface) {
        try {
            return Optional.of(Long.parseLong(Files.readString(Gateway.pidFile(iface)).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Waits until the gateway answers on its UAPI socket and has written its PID file; an IOException with the end of
     * its log when it exits first or the deadline passes.
     */
    public void awaitUp(Instant deadline) throws IOException, InterruptedException {
        Path socket = Gateways.socket(site.tunnelIface());
        while (true) {
            if (Files.exists(socket) && pid().isPresent()) {
                try {
                    Gateways.status(socket, Duration.ofSeconds(1));
                    return;
                } catch (IOException notYet) {
                    // bound but not answering yet
                }
            }
            if (process.waitFor(100, TimeUnit.MILLISECONDS)) {
                throw new IOException("gateway " + site.name() + " exited with status " + process.exitValue()
                        + " before it was up; its log " + site.log() + " ends with:\n" + logTail());
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IOException("gateway " + site.name() + " did not answer on " + socket + " in time; its log "
                        + site.log() + " ends with:\n" + logTail());
            }
        }
    }

    /** The gateway's view of its remote site, over its UAPI socket. */
    public PeerStatus peer() throws IOException {
        List<PeerStatus> peers = Gateways.status(Gateways.socket(site.tunnelIface()), Duration.ofSeconds(2)).peers();
        if (peers.size() != 1) {
            throw new IOException("gateway " + site.name() + " reports " + peers.size() + " remote sites, expected 1");
        }
        return peers.getFirst();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines the gateway logged, indented, for error messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(site.log());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 12), lines.size())).indent(4).stripTrailing();
        } catch (IOException e) {
            return "    (cannot read it: " + e.getMessage() + ")";
        }
    }
}
