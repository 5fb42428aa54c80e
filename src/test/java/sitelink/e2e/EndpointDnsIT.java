package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.testbed.Proc;
import sitelink.testbed.Namespace;
import sitelink.testbed.PointToPoint;

/**
 * Issue 18: a remote site's endpoint given as a DNS name follows the name. Office B's gateway moves to a new WAN
 * address and its name (in office A's namespace: {@code ip netns exec} mounts /etc/netns/NS/hosts over /etc/hosts)
 * now says so; office A looks the name up again once it has gone without a handshake for a while, and the tunnel
 * comes back by itself. B never dials A (no endpoint, no keepalive), so only A's lookup can find B again: WireGuard
 * roaming alone would not.
 */
class EndpointDnsIT {
    private static final String NAME = "office-b.sitelink.test", MOVED = "198.18.0.3";

    @Test
    void aMovedGatewayIsFoundAgainThroughItsName() throws Exception {
        Key privA = X25519.generatePrivate(new java.security.SecureRandom());
        Key privB = X25519.generatePrivate(new java.security.SecureRandom());
        String ifA = E2e.uniqueName("sla"), ifB = E2e.uniqueName("slb");
        try (PointToPoint link = PointToPoint.create(E2e.testbed())) {
            Namespace nsA = link.a(), nsB = link.b();
            Path etc = Path.of("/etc/netns", nsA.name());
            Path hosts = etc.resolve("hosts");
            boolean madeParent = !Files.isDirectory(etc.getParent()); // /etc/netns: removed again if the test made it
            try {
                Files.createDirectories(etc);
                Files.writeString(hosts, "127.0.0.1 localhost\n" + TwoPeers.B_OUTER + " " + NAME + "\n");

                Path a = site(nsA, "office-a", privA, ifA, TwoPeers.A_TUNNEL, "office-b", X25519.publicKey(privB),
                        "endpoint: " + NAME + ":" + TwoPeers.PORT + "\n    persistent_keepalive: 1", TwoPeers.B_TUNNEL);
                Path b = site(nsB, "office-b", privB, ifB, TwoPeers.B_TUNNEL, "office-a", X25519.publicKey(privA),
                        "persistent_keepalive: 0", TwoPeers.A_TUNNEL);
                String sitelink = E2e.home().resolve("sitelink").toString();
                // 135 s without a handshake before a lookup is too long for a test: 3 s, and no lookup cache.
                Proc gwA = nsA.start("env", "SITELINK_JAVA_OPTS=-Dsitelink.reresolve_after_seconds=3 -Dsun.net.inetaddr.ttl=0",
                        sitelink, "up", a.toString());
                Proc gwB = nsB.start(sitelink, "up", b.toString());
                Traffic.awaitPing(nsA, TwoPeers.B_TUNNEL, Duration.ofSeconds(60));

                nsB.ip("addr", "del", TwoPeers.B_OUTER + "/24", "dev", TwoPeers.VETH_B);
                nsB.ip("addr", "add", MOVED + "/24", "dev", TwoPeers.VETH_B);
                Files.writeString(hosts, "127.0.0.1 localhost\n" + MOVED + " " + NAME + "\n"); // same file, new text
                E2e.await(Duration.ofSeconds(90), "A to find B at " + MOVED + " through its name",
                        () -> nsA.execOk("wg", "show", ifA, "endpoints").contains(MOVED + ":" + TwoPeers.PORT),
                        () -> gwA.tail() + "\n" + gwB.tail());
                Traffic.awaitPing(nsA, TwoPeers.B_TUNNEL, Duration.ofSeconds(60));
                assertTrue(gwA.output().contains("endpoint of office-b is now " + NAME + "/" + MOVED + ":" + TwoPeers.PORT),
                        "A's log says where the name led: " + gwA.tail());
            } finally {
                Files.deleteIfExists(hosts);
                Files.deleteIfExists(etc);
                if (madeParent) {
                    Files.deleteIfExists(etc.getParent());
                }
            }
        }
    }

    private static Path site(Namespace ns, String name, Key priv, String iface, String tunnel, String peer, Key peerKey,
                             String extra, String peerTunnel) throws IOException {
        Path f = Files.createTempFile(ns.logDir(), name + "-", ".yaml");
        Files.writeString(f, """
                name: %s
                private_key: %s
                listen_port: %d
                tunnel: {name: %s, addresses: [%s/24]}
                remote_sites:
                  - name: %s
                    public_key: %s
                    remote_subnets: [%s/32]
                    %s
                """.formatted(name, priv.toBase64(), TwoPeers.PORT, iface, tunnel, peer, peerKey.toBase64(), peerTunnel,
                extra));
        return f;
    }
}
