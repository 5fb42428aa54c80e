package sitelink.e2e;

import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sitelink.e2e.TwoPeers.Endpoints;
import sitelink.e2e.WireGuardNode.Kind;

/**
 * sitelink interoperates with wireguard-go in both roles: as the initiator that knows the endpoint, and as the
 * responder that learns it. Every wireguard-go build: bookworm's, trixie's and the newest (a missing one skips, or
 * fails under CI).
 */
class SitelinkWireGuardGoIT {
    static Stream<Arguments> pairs() {
        return WireGuardNode.wireguardGoBuilds().stream().flatMap(wgGo -> Stream.of(
                Arguments.of(WireGuardNode.SITELINK, wgGo),
                Arguments.of(wgGo, WireGuardNode.SITELINK)));
    }

    @ParameterizedTest(name = "{0} initiates, {1} responds")
    @MethodSource("pairs")
    @DisplayName("sitelink and wireguard-go ping, carry 64 MiB intact and show the peer in wg")
    void interoperates(Kind initiator, Kind responder) {
        try (TwoPeers peers = TwoPeers.start(initiator, responder, Endpoints.A_INITIATES)) {
            TunnelChecks.assertTunnelWorks(peers);
        }
    }
}
