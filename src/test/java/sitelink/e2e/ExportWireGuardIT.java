package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import sitelink.e2e.TwoOffices.Office;
import sitelink.testbed.Command;
import sitelink.testbed.Proc;

/**
 * {@code sitelink export} for a WireGuard remote site, used as it is by the far side: office A runs {@code sitelink up}
 * with its site file; office B runs what {@code export --for wg-quick} (wg-quick with wireguard-go) or
 * {@code export --for sitelink} (a second sitelink) printed from A's file, and host A reaches host B through the tunnel.
 * The only thing B adds is its own private key, in the file the export names.
 */
class ExportWireGuardIT {
    @Test
    void wgQuickFileFromTheExportLinksWireGuardGoToSitelink() throws Exception {
        E2e.require(E2e.onPath("wg-quick").isPresent(), "wg-quick (apt-get install wireguard-tools)");
        E2e.require(E2e.onPath("wireguard-go").isPresent(), "wireguard-go (apt-get install wireguard-go)");
        try (TwoOffices t = TwoOffices.create()) {
            Office a = t.a(), b = t.b();
            t.writeSiteFile(a, TwoOffices.SiteExtras.policy("allow both icmp type 8"), b);
            t.up(a);
            String conf = export(a, "wg-quick", b);
            System.out.println("export --for wg-quick:\n" + conf);
            // wg-quick names the interface after the file; the key goes where the export's PostUp reads it, in a
            // private mount namespace so that this machine's /etc/wireguard is untouched
            Path file = b.gateway().logDir().resolve(b.iface() + ".conf");
            TwoOffices.writeSecret(file, conf);
            Path keys = b.gateway().logDir().resolve("wireguard");
            Files.createDirectories(keys);
            TwoOffices.writeSecret(keys.resolve(b.name() + ".key"), Files.readString(b.keyFile()));
            Command.Result up = b.gateway().exec(Duration.ofSeconds(60), "env", "WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go",
                    "unshare", "-m", "--propagation", "private", "sh", "-c", "mount --bind " + keys + " /etc/wireguard && exec wg-quick up " + file);
            try {
                assertEquals(0, up.exitCode(), "wg-quick up with the exported file:\n" + up.describe());
                b.gateway().execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
                Traffic.awaitPing(a.host(), b.hostAddress(), Duration.ofSeconds(30));
                assertTrue(Traffic.ping(a.host(), b.hostAddress(), 5, 0.1).lossless(), "host A pings host B");
                assertTrue(Traffic.ping(b.host(), a.hostAddress(), 5, 0.1).lossless(), "host B pings host A");
                String show = b.gateway().execOk("wg", "show", b.iface());
                assertTrue(show.contains("latest handshake") && show.contains(a.publicKey()), show);
            } finally {
                Command.Result down = b.gateway().exec(Duration.ofSeconds(30), "wg-quick", "down", file.toString());
                if (!down.ok()) System.err.println("e2e: wg-quick down: " + down.describe());
            }
        }
    }

    @Test
    void sitelinkFileFromTheExportLinksASecondSitelink() throws Exception {
        try (TwoOffices t = TwoOffices.create()) {
            Office a = t.a(), b = t.b();
            t.writeSiteFile(a, TwoOffices.SiteExtras.policy("allow both icmp type 8", "allow to tcp"), b);
            t.up(a);
            String yaml = export(a, "sitelink", b);
            System.out.println("export --for sitelink:\n" + yaml);
            Path dir = b.gateway().logDir().resolve("exported");
            Files.createDirectories(dir);
            Path file = dir.resolve(b.name() + ".yaml");
            TwoOffices.writeSecret(file, yaml);
            TwoOffices.writeSecret(dir.resolve(b.name() + ".key"), Files.readString(b.keyFile()));
            Command.Result check = b.gateway().exec(Duration.ofSeconds(60), sitelink(), "check", file.toString());
            assertEquals(0, check.exitCode(), "sitelink check of the exported file:\n" + check.describe());
            try (Proc up = b.gateway().start(sitelink(), "up", file.toString())) {
                E2e.await(Duration.ofSeconds(60), "B's gateway from the exported file to come up",
                        () -> up.output().contains(" is up on ") || !up.isAlive(), up::tail);
                if (!up.isAlive()) fail("B's gateway exited:\n" + up.tail());
                Traffic.awaitPing(a.host(), b.hostAddress(), Duration.ofSeconds(30));
                assertTrue(Traffic.ping(a.host(), b.hostAddress(), 5, 0.1).lossless(), "host A pings host B");
                assertTrue(Traffic.ping(b.host(), a.hostAddress(), 5, 0.1).lossless(), "host B pings host A (mirrored policy)");
                TcpTransfer.Result r = TcpTransfer.start(a.host(), b.host(), b.hostAddress(), TcpTransfer.MIB, 0).await(Duration.ofSeconds(60));
                assertEquals(r.sentSha256(), r.receivedSha256(), "A's 'allow to tcp' is B's 'allow from tcp': the transfer is intact");
            }
        }
    }

    /** {@code sitelink export --for TARGET A.yaml B --address A's WAN address}, run in A's gateway namespace. */
    private static String export(Office a, String target, Office b) {
        return a.gateway().execOk(sitelink(), "export", "--for", target, "--address", a.wanAddress(), a.siteFile().toString(), b.name());
    }

    private static String sitelink() {
        return E2e.home().resolve("sitelink").toString();
    }
}
