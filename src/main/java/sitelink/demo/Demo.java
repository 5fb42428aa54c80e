package sitelink.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import sitelink.testbed.Command;
import sitelink.testbed.Namespace;
import sitelink.testbed.Offices;

/**
 * The demo as a short story: two offices in namespaces, their site files, both gateways up, a ping and a transfer
 * from host A to host B through the tunnel, both gateways' status, and everything removed again. Each step prints a
 * few lines; a failure says what went wrong and what to do, and whatever was built is removed (also on Ctrl-C).
 */
public final class Demo {
    private static final int PING_COUNT = 4;
    private static final long TRANSFER_BYTES = 32L << 20;
    private static final Duration GATEWAY_START = Duration.ofSeconds(90);
    private static final Duration HANDSHAKE = Duration.ofSeconds(20);

    /** A step failed; the message is for the user (what went wrong, what to do). */
    public static final class Failure extends Exception {
        public Failure(String message) {
            super(message);
        }
    }

    private final PrintStream out;
    private final List<String> ourArgs;
    /** Held while building (namespaces, gateways), so a Ctrl-C teardown never races a half-made step. */
    private final Object building = new Object();
    private volatile boolean stopping;
    private GatewayProcess gatewayA, gatewayB;
    private Offices offices;

    /** @param ourArgs the arguments sitelink was started with, to start the gateways with this same command */
    public Demo(PrintStream out, List<String> ourArgs) {
        this.out = out;
        this.ourArgs = List.copyOf(ourArgs);
    }

    /** Refuses to start when a demo (or a leftover of one) is present. */
    public static void checkNoneRunning() throws Failure {
        List<String> present = Teardown.existing();
        if (!present.isEmpty() || Files.exists(DemoSites.DIRECTORY)) {
            throw new Failure("a demo is already running" + (present.isEmpty() ? "" : " (namespaces " + String.join(", ", present) + ")")
                    + "; remove it with `sitelink demo --down`");
        }
    }

    /** Ctrl-C: stop building, then remove whatever exists. */
    public void abort() {
        stopping = true;
        synchronized (building) {
            out.println("Interrupted: removing everything the demo built");
            report(Teardown.run());
        }
    }

    /** Runs the story up to the status; the caller removes everything afterwards unless the demo is kept. */
    public void run() throws Failure, InterruptedException {
        out.println("sitelink demo: two offices joined by one encrypted WireGuard tunnel, built on this machine in");
        out.println("network namespaces (nothing outside them is changed, and everything is removed at the end).");
        out.println();
        buildNetwork();
        DemoSites.Site[] sites = writeSites();
        Namespace hostA = offices.a().host(), hostB = offices.b().host();
        try {
            startGateways(sites, hostA);
            ping(hostA);
            transfer(hostA, hostB);
        } finally {
            hostA.leave();
            hostB.leave();
        }
        status();
    }

    private void buildNetwork() throws Failure {
        step("1. The network");
        underLock(() -> offices = Offices.create(Teardown.TESTBED), "could not build the namespaces");
        for (Offices.Office o : offices.offices()) {
            String x = o.letter().toUpperCase(Locale.ROOT);
            out.printf("   Office %s  host %s %-12s ── gateway %s %s (LAN %s)%n", x, x, o.hostAddress(), x,
                    o.gatewayLanAddress(), o.lan());
        }
        out.printf("   WAN       gateway A %s ── gateway B %s (%s); the hosts' default route is their gateway%n",
                offices.a().wanAddress(), offices.b().wanAddress(), Offices.WAN);
        out.printf("             through the WAN router %s, the gateways' default route (\"the internet\" %s beyond it)%n",
                Offices.WAN_ROUTER, Offices.INTERNET_HOST);
        out.println("   namespaces: " + String.join(", ", Teardown.NAMESPACES));
        out.println();
    }

    private DemoSites.Site[] writeSites() throws Failure {
        step("2. The site files: one per office, each naming the other (fresh keys, in files of mode 0600)");
        DemoSites.Site[] sites = new DemoSites.Site[2];
        underLock(() -> System.arraycopy(DemoSites.write(offices.a(), offices.b()), 0, sites, 0, 2),
                "could not write the site files");
        for (DemoSites.Site s : sites) {
            out.println("   --- " + s.file() + " ---");
            try {
                Files.readAllLines(s.file()).forEach(l -> out.println("   " + l));
            } catch (IOException e) {
                throw new Failure("cannot read back " + s.file() + ": " + e.getMessage());
            }
        }
        out.println();
        return sites;
    }

    private void startGateways(DemoSites.Site[] sites, Namespace hostA) throws Failure, InterruptedException {
        step("3. The gateways: `sitelink up FILE` in each gateway's namespace");
        underLock(() -> {
            gatewayA = GatewayProcess.start(sites[0], ourArgs);
            gatewayB = GatewayProcess.start(sites[1], ourArgs);
        }, "could not start the gateways");
        Instant deadline = Instant.now().plus(GATEWAY_START);
        for (GatewayProcess g : List.of(gatewayA, gatewayB)) {
            try {
                g.awaitUp(deadline);
            } catch (IOException e) {
                throw new Failure(e.getMessage());
            }
            DemoSites.Site s = g.site();
            out.printf("   gateway %s is up: tunnel %s, pid %d, log %s%n", s.name(), s.tunnelIface(),
                    g.pid().orElse(-1L), s.log());
        }
        // WireGuard shakes hands on demand: the first packet for the other office starts it (and waits for it).
        out.println("   host A sends a first packet toward host B: gateway A starts the handshake with gateway B");
        Instant start = Instant.now();
        Instant handshakeDeadline = start.plus(HANDSHAKE);
        Instant nextKnock = start;
        while (true) {
            if (!Instant.now().isBefore(nextKnock)) {
                knock(hostA);
                nextKnock = Instant.now().plusSeconds(1);
            }
            try {
                if (gatewayA.peer().lastHandshake().isPresent() && gatewayB.peer().lastHandshake().isPresent()) {
                    break;
                }
            } catch (IOException e) {
                throw new Failure("lost contact with a gateway: " + e.getMessage());
            }
            if (Instant.now().isAfter(handshakeDeadline)) {
                throw new Failure("the gateways did not complete a handshake within " + HANDSHAKE.toSeconds()
                        + " s; their logs say why:\n  office-a:\n" + gatewayA.logTail() + "\n  office-b:\n" + gatewayB.logTail());
            }
            Thread.sleep(50);
        }
        out.printf(Locale.ROOT, "   handshake completed (%.1f s): the tunnel %s ══ %s is established%n",
                Duration.between(start, Instant.now()).toMillis() / 1000.0, offices.a().wanAddress(), offices.b().wanAddress());
        out.println();
    }

    /** One UDP datagram from host A to host B's discard port (RFC 863): traffic for the tunnel, nothing more. */
    private void knock(Namespace hostA) throws Failure {
        try {
            hostA.thread().call(() -> {
                try (DatagramChannel ch = DatagramChannel.open()) {
                    ch.send(ByteBuffer.wrap(new byte[] {'h', 'i'}),
                            new InetSocketAddress(InetAddress.getByName(offices.b().hostAddress()), 9));
                }
                return null;
            }, Duration.ofSeconds(5));
        } catch (Exception e) {
            throw new Failure("host A cannot send toward host B: " + describe(e));
        }
    }

    private void ping(Namespace hostA) throws Failure {
        step("4. Ping from host A (" + offices.a().hostAddress() + ") to host B (" + offices.b().hostAddress()
                + "): LAN A → gateway A → tunnel → gateway B → LAN B");
        Ping.Summary s;
        try {
            Inet4Address target = (Inet4Address) InetAddress.getByName(offices.b().hostAddress());
            s = hostA.thread().call(() -> Ping.run(target, PING_COUNT, 200, l -> out.println("   " + l)), Duration.ofSeconds(30));
        } catch (Exception e) {
            throw new Failure("the ping could not run: " + describe(e));
        }
        out.println("   " + s);
        if (s.received() == 0) {
            throw new Failure("no ping reply crossed the tunnel; the gateways' logs are in " + DemoSites.DIRECTORY);
        }
        out.println("   (ttl 62: host B's 64, minus one hop through each gateway)");
        out.println();
    }

    private void transfer(Namespace hostA, Namespace hostB) throws Failure {
        step("5. A transfer: " + (TRANSFER_BYTES >> 20) + " MiB over TCP from host A to host B, through the tunnel");
        Transfer.Result r;
        try {
            r = Transfer.run(hostA.thread(), hostB.thread(), InetAddress.getByName(offices.b().hostAddress()), TRANSFER_BYTES,
                    Duration.ofSeconds(120));
        } catch (Exception e) {
            throw new Failure("the transfer failed: " + describe(e));
        }
        out.printf(Locale.ROOT, "   %d MiB in %.2f s: %.0f Mbit/s%n", r.received() >> 20, r.elapsed().toMillis() / 1000.0,
                r.megabitsPerSecond());
        out.println("   sha256 sent by host A      " + r.sentSha256());
        out.println("   sha256 received by host B  " + r.receivedSha256());
        if (!r.intact()) {
            throw new Failure("the data arrived damaged (" + r.received() + " of " + r.sent() + " bytes); please report this");
        }
        out.println("   intact: every byte arrived, unchanged");
        out.println();
    }

    private void status() throws Failure {
        step("6. Both gateways' status: what `sitelink status` prints on each gateway");
        List<sitelink.device.DeviceStatus> devices = new java.util.ArrayList<>();
        for (GatewayProcess g : List.of(gatewayA, gatewayB)) {
            try {
                devices.add(sitelink.control.Gateways.status(g.site().tunnelIface()));
            } catch (IOException e) {
                throw new Failure("cannot read the status of " + g.site().name() + ": " + e.getMessage());
            }
        }
        sitelink.control.StatusReport.table(devices).lines().forEach(l -> out.println("   " + l));
        out.println();
    }

    /** Prints how to look around a kept demo and how to remove it. */
    public void printKeepHints() {
        step("The demo keeps running (--keep). Look around:");
        hint("sudo ip netns exec sl-demo-gwa ip addr show sl-demo-a", "gateway A's tunnel and its address");
        hint("sudo ip netns exec sl-demo-gwa ip route", "office B's LAN is routed into sl-demo-a");
        hint("sudo wg show sl-demo-a", "the tunnel as wg sees it (wireguard-tools)");
        hint("sudo ip netns exec sl-demo-hosta ping 198.18.2.10", "host A to host B (iputils-ping)");
        hint("sudo ip netns exec sl-demo-hosta bash", "a shell on host A");
        hint("sudo tail -f " + DemoSites.DIRECTORY.resolve("office-a.log"), "gateway A's log");
        out.println("   site files: " + DemoSites.file("office-a") + ", " + DemoSites.file("office-b"));
        out.println("Remove it with:");
        out.println("   sudo sitelink demo --down");
    }

    private void hint(String command, String why) {
        out.printf("   %-52s # %s%n", command, why);
    }

    /** Removes everything and says what was removed. */
    public void tearDown() {
        synchronized (building) {
            step("7. Cleaning up");
            report(Teardown.run());
        }
    }

    private void report(Teardown.Report r) {
        if (r.nothingToDo()) {
            out.println("   nothing to remove");
        }
        r.done().forEach(d -> out.println("   " + d));
        r.problems().forEach(p -> out.println("   warning: " + p));
    }

    private interface Step {
        void run() throws IOException;
    }

    private void underLock(Step s, String what) throws Failure {
        synchronized (building) {
            if (stopping) {
                throw new Failure("interrupted");
            }
            try {
                s.run();
            } catch (IOException | Command.Failed e) {
                throw new Failure(what + ": " + e.getMessage());
            }
        }
    }

    private static String describe(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private void step(String title) {
        out.println(title);
    }
}
