package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import sitelink.e2e.TwoOffices.Office;
import sitelink.e2e.TwoOffices.SiteExtras;
import sitelink.testbed.Command;
import sitelink.testbed.Proc;

/**
 * The site-to-site issue's story on the two-office topology: each office's gateway runs from its own site file
 * ({@code sitelink up FILE}), the LANs reach each other through the tunnel and nothing else, a reload adds and removes
 * an office without disturbing the others, and stopping the gateway leaves the machine as it was.
 */
class SiteGatewayIT {
    private static final Duration CONNECT = Duration.ofSeconds(30);

    /**
     * The WAN router also knows a plaintext path between the LANs (it routes each LAN to its gateway), so a missing
     * tunnel route would still deliver packets, in the clear: only the capture on B's WAN link tells the two apart.
     */
    @Test
    void hostInOfficeAReachesHostInOfficeBOnlyThroughTheTunnel() {
        try (TwoOffices t = TwoOffices.startSitelink()) {
            Office a = t.a(), b = t.b();
            List<String> packets;
            try (Capture wan = Capture.start(b.gateway(), "wan", "not", "arp")) {
                assertTrue(Traffic.ping(a.host(), b.hostAddress(), 20, 0.05).lossless(), "host A pings host B");
                assertTrue(Traffic.ping(b.host(), a.hostAddress(), 5, 0.05).lossless(), "host B pings host A");
                TcpTransfer.Result r = TcpTransfer.start(a.host(), b.host(), b.hostAddress(), 2 * TcpTransfer.MIB, 0)
                        .await(Duration.ofSeconds(90));
                assertEquals(2 * TcpTransfer.MIB, r.received(), "host B received every byte host A sent");
                assertEquals(r.sentSha256(), r.receivedSha256(), "and the same bytes");
                packets = wan.stop();
            }
            Pattern tunnel = Pattern.compile("IP (" + Pattern.quote(a.wanAddress() + "." + TwoOffices.PORT) + " > "
                    + Pattern.quote(b.wanAddress() + "." + TwoOffices.PORT) + "|" + Pattern.quote(b.wanAddress() + "."
                    + TwoOffices.PORT) + " > " + Pattern.quote(a.wanAddress() + "." + TwoOffices.PORT)
                    + "): UDP, length \\d+");
            List<String> other = packets.stream().filter(l -> !tunnel.matcher(l).matches()).toList();
            assertEquals(List.of(), other, "on B's WAN link every packet is UDP between the gateways' ports");
            // 50 pings and 2 MiB of TCP: far more than 100 datagrams; a capture that saw nothing proves nothing.
            assertTrue(packets.size() > 100, "the capture saw the traffic (" + packets.size() + " packets)");
            // Every packet that came into the tunnel had a remote site to go to: nothing the kernel sends on its own
            // (IPv6 router solicitations, MLD reports from a link-local address) is counted as a dropped packet.
            for (Office o : List.of(a, b)) {
                Uapi.Response counters = Uapi.request(o.iface(), "get_counters=1\n\n");
                assertEquals(0L, counters.numbers().get("drop_no_route"), o.name() + ": " + counters.lines());
            }
        }
    }

    /** Host A's traffic for the internet goes out through the WAN router, in the clear, and never into the tunnel. */
    @Test
    void trafficForAnAddressOutsideTheRemoteSubnetsStaysOutOfTheTunnel() {
        try (TwoOffices t = TwoOffices.startSitelink()) {
            Office a = t.a(), b = t.b();
            List<String> inTunnel, onWan;
            try (Capture tun = Capture.start(a.gateway(), a.iface(), "icmp");
                 Capture wan = Capture.start(a.gateway(), "wan", "icmp")) {
                assertTrue(Traffic.ping(a.host(), TwoOffices.INTERNET_HOST, 5, 0.05).lossless(),
                        "host A reaches " + TwoOffices.INTERNET_HOST + " beyond the WAN router");
                // The control: the capture on the tunnel interface does see what belongs there.
                assertTrue(Traffic.ping(a.host(), b.hostAddress(), 3, 0.05).lossless(), "host A pings host B");
                inTunnel = tun.stop();
                onWan = wan.stop();
            }
            assertTrue(inTunnel.stream().anyMatch(l -> l.contains(a.hostAddress() + " > " + b.hostAddress())),
                    "the tunnel capture sees the pings to office B:\n" + String.join("\n", inTunnel));
            assertEquals(List.of(), inTunnel.stream().filter(l -> l.contains(TwoOffices.INTERNET_HOST)).toList(),
                    "nothing for " + TwoOffices.INTERNET_HOST + " enters the tunnel");
            assertTrue(onWan.stream().anyMatch(l -> l.contains(a.hostAddress() + " > " + TwoOffices.INTERNET_HOST)),
                    "the pings to the internet leave by the WAN:\n" + String.join("\n", onWan));
        }
    }

    /** Gateway B is not sitelink at all: wireguard-go brought up by wg-quick from the .conf file an admin keeps. */
    @Test
    void sitelinkGatewayWorksWithAWireGuardGoGatewayConfiguredByWgQuick() {
        try (TwoOffices t = TwoOffices.create()) {
            Office a = t.a(), b = t.b();
            t.writeSiteFile(a, b);
            t.up(a);
            t.wgQuickUp(b, a);
            Traffic.awaitPing(a.host(), b.hostAddress(), CONNECT);
            assertTrue(Traffic.ping(a.host(), b.hostAddress(), 10, 0.05).lossless(), "host A pings host B");
            assertTrue(Traffic.ping(b.host(), a.hostAddress(), 10, 0.05).lossless(), "host B pings host A");
            TcpTransfer.Result r = TcpTransfer.start(b.host(), a.host(), a.hostAddress(), 2 * TcpTransfer.MIB, 0)
                    .await(Duration.ofSeconds(90));
            assertEquals(r.sentSha256(), r.receivedSha256(), "host A received host B's 2 MiB intact");
            String showB = b.gateway().execOk("wg", "show", b.iface());
            assertTrue(showB.contains(a.publicKey()) && showB.contains("latest handshake"),
                    "wireguard-go has a session with office A:\n" + showB);
        }
    }

    /**
     * Office C joins A's file and leaves it again, each time applied with {@code sitelink reload}, while host A pings
     * host B every 50 ms: B's session is never touched (same handshake, no lost ping), C becomes reachable, then its
     * route and peer are gone. A change the gateway cannot apply, and a file others could have written, are refused.
     */
    @Test
    void reloadAddsAndRemovesAnOfficeWhileTheTunnelToAnotherKeepsPassingTraffic() throws IOException {
        try (TwoOffices t = TwoOffices.startSitelink()) {
            Office a = t.a(), b = t.b();
            Office c = t.addOffice();
            t.writeSiteFile(c, a);
            t.up(c);
            String handshakeWithB = latestHandshake(a, b);
            Proc ping = Traffic.startEndlessPing(a.host(), b.hostAddress(), 0.05);
            E2e.await(CONNECT, "the first replies", () -> ping.output().contains("icmp_seq="), ping::tail);

            t.writeSiteFile(a, b, c);
            String report = t.reload(a);
            assertTrue(report.contains("added office-c; removed none; changed none; unchanged office-b"),
                    "reload waits for the gateway and says what it changed: " + report);
            Traffic.awaitPing(a.host(), c.hostAddress(), CONNECT);
            assertTrue(routeInGateway(a, c.lan()).contains("dev " + a.iface()), "C's subnet is routed into the tunnel");

            t.writeSiteFile(a, b);
            assertTrue(t.reload(a).contains("added none; removed office-c; changed none; unchanged office-b"));
            E2e.await(CONNECT, "the route to " + c.lan() + " to go", () -> routeInGateway(a, c.lan()).isBlank(),
                    () -> routeInGateway(a, c.lan()));
            E2e.await(CONNECT, "office C's peer to go", () -> !a.gateway().execOk("wg", "show", a.iface(), "peers")
                    .contains(c.publicKey()));
            assertFalse(a.host().exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", c.hostAddress()).ok(),
                    "host A no longer reaches host C");

            // A change the running gateway cannot apply: reload says so and exits 1, and the tunnel carries on.
            t.writeSiteFile(a, SiteExtras.NONE.withTunnel("mtu: 1380"), b);
            Command.Result refused = t.tryReload(a);
            assertFalse(refused.ok(), "a refused reload fails: " + refused.describe());
            assertTrue(refused.stderr().contains("tunnel name, mtu or route_table changed; restart the gateway"),
                    refused.describe());

            // metrics: and events: are not silently ignored: the gateway cannot move them while running, so it refuses.
            t.writeSiteFile(a, b);
            Files.writeString(a.siteFile(), "metrics:\n  listen: 127.0.0.1:9586\nevents:\n  syslog: udp://127.0.0.1:514\n",
                    java.nio.file.StandardOpenOption.APPEND);
            Command.Result telemetry = t.tryReload(a);
            assertFalse(telemetry.ok(), "a reload adding metrics and events fails: " + telemetry.describe());
            assertTrue(telemetry.stderr().contains("metrics and events changed; restart the gateway"), telemetry.describe());

            // reload of another file with the same tunnel name: refused, naming the file the gateway runs.
            Path other = a.siteFile().resolveSibling("other.yaml");
            Files.copy(a.siteFile(), other);
            Command.Result wrongFile = a.gateway().exec(Duration.ofSeconds(60), E2e.home().resolve("sitelink").toString(),
                    "reload", other.toString());
            assertFalse(wrongFile.ok(), wrongFile.describe());
            assertTrue(wrongFile.stderr().contains("runs " + a.siteFile() + ", not " + other), wrongFile.describe());

            // A file someone else could have written is refused: by `sitelink reload` before it signals anything,
            // and by the gateway itself when SIGHUP comes straight (kill -HUP, systemctl kill -s HUP).
            t.writeSiteFile(a, b, c);
            Files.setPosixFilePermissions(a.siteFile(), PosixFilePermissions.fromString("rw-rw-rw-"));
            try {
                Path reportFile = Path.of("/run/sitelink", a.iface() + ".reload");
                String reportBefore = read(reportFile);
                Command.Result untrusted = t.tryReload(a);
                assertFalse(untrusted.ok(), untrusted.describe());
                assertTrue(untrusted.stderr().contains(a.siteFile() + " is writable by group or others (mode 0666)")
                        && untrusted.stderr().contains("the running gateway was not changed"), untrusted.describe());
                assertEquals(reportBefore, read(reportFile), "sitelink reload did not signal the gateway");
                long next = Long.parseLong(reportBefore.lines().findFirst().orElseThrow()) + 1;
                a.sitelink().signal("HUP");
                E2e.await(CONNECT, "the gateway's report of reload " + next,
                        () -> read(reportFile).startsWith(next + "\n"), () -> read(reportFile));
                String refusal = read(reportFile);
                assertTrue(refusal.startsWith(next + "\nerror\n") && refusal.contains("is writable by group or others "
                        + "(mode 0666)"), "the gateway refused the file itself: " + refusal);
                assertTrue(routeInGateway(a, c.lan()).isBlank(), "office C was not added");
            } finally { // a file others can write stays behind as a log otherwise
                Files.setPosixFilePermissions(a.siteFile(), PosixFilePermissions.fromString("rw-------"));
            }

            Traffic.Lost lost = Traffic.stopPing(ping);
            assertTrue(a.sitelink().isAlive(), "gateway A kept running\n" + a.sitelink().tail());
            assertTrue(lost.counted() >= 20, "the ping ran through both reloads (" + lost.counted() + " requests)");
            assertEquals(List.of(), lost.sequences(), "no ping from A to B was lost during the reloads");
            assertEquals(handshakeWithB, latestHandshake(a, b), "B's session was not renegotiated");
        }
    }

    /**
     * Snapshots of both gateways' namespaces before {@code up} and after stopping: A by SIGTERM (systemctl stop), B
     * by SIGINT (Ctrl-C). Every interface, address, route, forwarding sysctl, socket and PID file is gone again.
     */
    @Test
    void stoppingTheGatewayRemovesEverythingItAdded() {
        try (TwoOffices t = TwoOffices.create()) {
            Office a = t.a(), b = t.b();
            NamespaceState beforeA = NamespaceState.of(a.gateway(), a.iface());
            NamespaceState beforeB = NamespaceState.of(b.gateway(), b.iface());
            t.writeSiteFile(a, b);
            t.writeSiteFile(b, a);
            t.up(a);
            t.up(b);
            Traffic.awaitPing(a.host(), b.hostAddress(), CONNECT);
            NamespaceState during = NamespaceState.of(a.gateway(), a.iface());
            // The control: the gateway did change each of the things the snapshot compares.
            assertNotEquals(beforeA.links(), during.links(), "the tunnel interface");
            assertNotEquals(beforeA.addresses(), during.addresses(), "the tunnel address");
            assertNotEquals(beforeA.routes(), during.routes(), "the routes into the tunnel");
            assertNotEquals(beforeA.sysctls(), during.sysctls(), "forwarding");
            assertEquals(3, during.files().size(), "the UAPI socket, the PID file and the reload file: " + during.files());

            a.sitelink().signal("TERM");
            b.sitelink().signal("INT");
            assertEquals(0, a.sitelink().waitFor(Duration.ofSeconds(30)), "gateway A exits cleanly on SIGTERM\n"
                    + a.sitelink().tail());
            assertEquals(0, b.sitelink().waitFor(Duration.ofSeconds(30)), "gateway B exits cleanly on SIGINT\n"
                    + b.sitelink().tail());
            assertEquals(beforeA, NamespaceState.of(a.gateway(), a.iface()), "gateway A's namespace is as before");
            assertEquals(beforeB, NamespaceState.of(b.gateway(), b.iface()), "gateway B's namespace is as before");
            assertTrue(a.sitelink().output().contains("everything it added was removed"), a.sitelink().tail());
        }
    }

    private static String routeInGateway(Office o, String prefix) {
        return o.gateway().ip("route", "show", prefix).strip();
    }

    private static String latestHandshake(Office self, Office remote) {
        return self.gateway().execOk("wg", "show", self.iface(), "latest-handshakes").lines()
                .filter(l -> l.startsWith(remote.publicKey())).findFirst().orElseThrow();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
