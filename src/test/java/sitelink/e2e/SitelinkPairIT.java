package sitelink.e2e;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.e2e.TwoPeers.Endpoints;

/** Two sitelink gateways, each started with {@code sitelink device} and configured with wg, reach each other. */
class SitelinkPairIT {
    @Test
    @DisplayName("a tunnel between two sitelink devices pings, carries 64 MiB intact and shows its counters in wg")
    void tunnelCarriesTraffic() {
        try (TwoPeers peers = TwoPeers.start(WireGuardNode.SITELINK, WireGuardNode.SITELINK, Endpoints.A_INITIATES)) {
            TunnelChecks.assertTunnelWorks(peers);
        }
    }
}
