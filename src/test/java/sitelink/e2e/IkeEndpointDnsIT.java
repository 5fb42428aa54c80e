package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.testbed.Offices;

/**
 * An IKEv2 site's endpoint given as a DNS name follows the name (docs/ikev2.md), as a WireGuard site's does
 * (EndpointDnsIT). A name that does not resolve when A starts does not stop A: the site is DOWN saying so, and comes up
 * once the name resolves. Then office B's gateway (sitelink, answering only) moves to a new WAN address and its name in office A's
 * namespace ({@code ip netns exec} mounts /etc/netns/NS/hosts over /etc/hosts) says so; A's IKE SA dies (DPD), A
 * looks the name up again and its new IKE SA goes to the new address. B never initiates, so only A's lookup can
 * bring the link back. B's site file has no WireGuard key: it links only over IKEv2.
 */
class IkeEndpointDnsIT {
    private static final String NAME = "office-b.sitelink.test";

    @Test
    @DisplayName("an IKEv2 peer's name that does not resolve at start leaves the site DOWN saying so until it does; a peer that moved is found again through its name")
    void aMovedIkePeerIsFoundAgainThroughItsName() throws Exception {
        try (TwoOffices t = TwoOffices.create()) {
            TwoOffices.Office a = t.a(), b = t.b();
            Path etc = Path.of("/etc/netns", a.gateway().name());
            Path hosts = etc.resolve("hosts");
            boolean madeParent = !Files.isDirectory(etc.getParent()); // /etc/netns: removed again if the test made it
            try {
                Files.createDirectories(etc);
                Files.writeString(hosts, "127.0.0.1 localhost\n"); // the name does not resolve yet
                t.writeSiteFile(a, GatewayIkeIT.ikeSite(t, a, b, "start", GatewayIkeIT.psk(a))
                        .replace("endpoint: " + b.wanAddress(), "endpoint: " + NAME));
                // B links only over IKEv2: its file needs no WireGuard key
                t.writeSiteFile(b, GatewayIkeIT.ikeSite(t, b, a, "none", GatewayIkeIT.psk(b))
                        .replace("private_key_file: " + b.keyFile() + "\n", ""));
                // 135 s without an IKE SA before a lookup is too long for a test: 3 s, and no lookup cache
                t.up(a, "-Dsitelink.reresolve_after_seconds=3 -Dsun.net.inetaddr.ttl=0");
                t.up(b);
                String sitelink = E2e.home().resolve("sitelink").toString();
                String down = a.gateway().execOk(sitelink, "status", a.iface());
                assertTrue(down.contains("DOWN") && down.contains("does not resolve"), "A is up, its site DOWN saying why:\n" + down);
                Files.writeString(hosts, "127.0.0.1 localhost\n" + b.wanAddress() + " " + NAME + "\n");
                Traffic.awaitPing(a.host(), b.hostAddress(), Duration.ofSeconds(45)); // looked up again within 15 s

                String moved = "203.0.113.102";
                b.gateway().ip("addr", "del", b.wanAddress() + "/24", "dev", "wan");
                b.gateway().ip("addr", "add", moved + "/24", "dev", "wan");
                b.gateway().ip("route", "add", "default", "via", Offices.WAN_ROUTER);
                t.wan().ip("route", "replace", b.lan(), "via", moved);
                Files.writeString(hosts, "127.0.0.1 localhost\n" + moved + " " + NAME + "\n"); // same file, new text

                E2e.await(Duration.ofSeconds(120), "A to find B at " + moved + " through its name",
                        () -> a.sitelink().output().contains("endpoint of " + b.name() + " is now /" + moved + ":500")
                                || a.sitelink().output().contains("endpoint of " + b.name() + " is now " + NAME + "/" + moved + ":500"),
                        () -> a.sitelink().tail());
                Traffic.awaitPing(a.host(), b.hostAddress(), Duration.ofSeconds(60));
                String status = a.gateway().execOk(sitelink, "status", a.iface());
                assertTrue(status.contains("ESTABLISHED") && status.contains(moved), status);
            } finally {
                Files.deleteIfExists(hosts);
                Files.deleteIfExists(etc);
                if (madeParent) {
                    Files.deleteIfExists(etc.getParent());
                }
            }
        }
    }
}
