package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.e2e.TwoPeers.Endpoints;

/** Two sitelink gateways, each started with {@code sitelink device} and configured with wg, reach each other. */
class SitelinkPairIT {
    @Test
    @DisplayName("a tunnel between two sitelink devices pings, carries 64 MiB intact and shows its counters in wg; both warmed up their data path through two devices over loopback before they were ready")
    void tunnelCarriesTraffic() {
        try (TwoPeers peers = TwoPeers.start(WireGuardNode.SITELINK, WireGuardNode.SITELINK, Endpoints.A_INITIATES)) {
            TunnelChecks.assertTunnelWorks(peers);
            for (WireGuardNode n : new WireGuardNode[] {peers.a(), peers.b()}) {
                String log = read(n);
                // the warm-up of issue 15: its devices carried handshakes, pings and TCP in a namespace of the test's
                assertTrue(log.matches("(?s).*warmed up the handshake and data path: \\d+ handshakes in memory in \\d+ ms, "
                        + "then [1-9]\\d* handshakes, [1-9]\\d* pings and \\d+ MiB of TCP through two devices over loopback.*"),
                        log);
                assertFalse(log.contains("ended early"), log);
                assertFalse(log.contains("warm-a") || log.contains("warm-b"), "the warm-up's devices stay out of the log");
            }
        }
    }

    private static String read(WireGuardNode n) {
        try {
            return Files.readString(n.process().log());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
