package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import sitelink.testbed.Command;
import sitelink.testbed.Namespace;
import sitelink.testbed.PointToPoint;

/**
 * An engineer with a wg-quick file and no kernel WireGuard: wg-quick falls back to the userspace implementation named
 * by WG_QUICK_USERSPACE_IMPLEMENTATION, here sitelink (bin/sitelink-wg), which detaches like wireguard-go. wg-quick
 * configures it, the tunnel to a wireguard-go peer carries pings, and `wg-quick down` removes the interface, which
 * ends sitelink and removes its socket.
 */
class WgQuickIT {
    @Test
    void wgQuickBringsSitelinkUpAndDown() throws IOException {
        E2e.require(E2e.onPath("wg-quick").isPresent(), "wg-quick (Debian package wireguard-tools)");
        try (PointToPoint link = PointToPoint.create(E2e.testbed())) {
            Namespace nsA = link.a(), nsB = link.b();
            String ifaceA = E2e.uniqueName("slq");
            String privateA = nsA.execOk("wg", "genkey").strip();
            String publicA = sitelink.crypto.X25519.publicKey(sitelink.crypto.Key.fromBase64(privateA)).toBase64();
            try (WireGuardNode b = WireGuardNode.WIREGUARD_GO.create().apply(nsB, E2e.uniqueName("slb"))) {
                b.start();
                b.configure(TwoPeers.PORT, publicA, TwoPeers.A_TUNNEL + "/32", Optional.empty(), TwoPeers.B_TUNNEL + "/24");

                Path conf = nsA.logDir().resolve(ifaceA + ".conf");
                Files.writeString(conf, """
                        [Interface]
                        PrivateKey = %s
                        Address = %s/24
                        ListenPort = %d

                        [Peer]
                        PublicKey = %s
                        AllowedIPs = %s/32
                        Endpoint = %s:%d
                        """.formatted(privateA, TwoPeers.A_TUNNEL, TwoPeers.PORT, b.publicKey(), TwoPeers.B_TUNNEL,
                        TwoPeers.B_OUTER, TwoPeers.PORT));
                Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
                String impl = E2e.home().resolve("bin/sitelink-wg").toString();

                Command.Result up = nsA.exec(Duration.ofSeconds(90), "env", "WG_QUICK_USERSPACE_IMPLEMENTATION=" + impl,
                        "wg-quick", "up", conf.toString());
                assertEquals(0, up.exitCode(), "wg-quick up:\n" + up.describe());
                Path socket = Uapi.socket(ifaceA);
                assertTrue(Files.exists(socket), "sitelink serves " + socket + " after wg-quick up returned");

                Traffic.awaitPing(nsA, TwoPeers.B_TUNNEL, Duration.ofSeconds(20));
                assertTrue(Traffic.ping(nsA, TwoPeers.B_TUNNEL, 5, 0.2).lossless(), "pings through the wg-quick tunnel");
                String show = nsA.execOk("wg", "show", ifaceA);
                assertTrue(show.contains("latest handshake"), "wg show reports the handshake:\n" + show);

                Command.Result down = nsA.exec(Duration.ofSeconds(30), "wg-quick", "down", conf.toString());
                assertEquals(0, down.exitCode(), "wg-quick down:\n" + down.describe());
                E2e.await(Duration.ofSeconds(15), "sitelink to exit and remove " + socket, () -> !Files.exists(socket));
                assertFalse(nsA.exec("ip", "link", "show", ifaceA).ok(), "interface removed");
                E2e.await(Duration.ofSeconds(15), "no sitelink process left for " + ifaceA,
                        () -> !nsA.exec("pgrep", "-f", "device " + ifaceA).ok());
            }
        }
    }
}
