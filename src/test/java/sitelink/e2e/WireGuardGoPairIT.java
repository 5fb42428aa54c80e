package sitelink.e2e;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sitelink.e2e.TwoPeers.Endpoints;
import sitelink.e2e.WireGuardNode.Kind;

/**
 * Two wireguard-go peers, set up with wg and ip like a user does: the reference the sitelink tests are measured
 * against, and the proof that the namespace fixture itself works.
 */
class WireGuardGoPairIT {
    static List<Kind> builds() {
        return WireGuardNode.wireguardGoBuilds();
    }

    @ParameterizedTest(name = "{0} ↔ {0}")
    @MethodSource("builds")
    @DisplayName("a tunnel between two wireguard-go peers pings, carries 64 MiB intact and shows its counters")
    void tunnelCarriesTraffic(Kind build) {
        try (TwoPeers peers = TwoPeers.start(build, build, Endpoints.A_INITIATES)) {
            TunnelChecks.assertTunnelWorks(peers);
        }
    }

    @Test
    @DisplayName("wireguard-go refuses a UAPI set with a malformed key (-EINVAL) and keeps its configuration")
    void refusesGarbageKey() {
        try (TwoPeers peers = TwoPeers.start(WireGuardNode.WIREGUARD_GO, WireGuardNode.WIREGUARD_GO,
                Endpoints.BOTH)) {
            TunnelChecks.assertRejectsGarbageKey(peers.a());
        }
    }
}
