package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sitelink.e2e.TwoPeers.Endpoints;
import sitelink.e2e.WireGuardNode.Kind;

/**
 * B's office gets a new outer address in the middle of a transfer from B to A. A must follow B to the new address
 * as soon as authenticated packets arrive from it (WireGuard's roaming), so the transfer completes unharmed.
 * <p>
 * The roamer must itself send from the new address: bookworm's wireguard-go (0.0.20220316) does not — it keeps
 * its cached source address and fails with "network is unreachable" — so B is a newer wireguard-go (0.0.20230223 or
 * the newest) or sitelink. wireguard-go following is the reference that shows the scenario itself is sound.
 */
class RoamingIT {
    private static final String B_NEW_OUTER = "198.18.0.3";

    static List<Arguments> pairs() {
        return List.of(
                Arguments.of(WireGuardNode.SITELINK, WireGuardNode.WIREGUARD_GO_CURRENT),
                Arguments.of(WireGuardNode.WIREGUARD_GO, WireGuardNode.WIREGUARD_GO_CURRENT),
                Arguments.of(WireGuardNode.SITELINK, WireGuardNode.WIREGUARD_GO_NEWEST),
                Arguments.of(WireGuardNode.SITELINK, WireGuardNode.SITELINK));
    }

    @ParameterizedTest(name = "{0} follows {1} to its new address")
    @MethodSource("pairs")
    @DisplayName("A follows B's new outer address mid-transfer and the transfer completes intact")
    void followsPeerToNewAddress(Kind follower, Kind roamer) {
        try (TwoPeers peers = TwoPeers.start(follower, roamer, Endpoints.BOTH)) {
            // When B's old address goes, its new one takes over the subnet route instead of vanishing with it.
            peers.nsB().execOk("sysctl", "-q", "-w", "net.ipv4.conf.all.promote_secondaries=1");
            Traffic.awaitPing(peers.nsB(), TwoPeers.A_TUNNEL, Duration.ofSeconds(20));

            long bytes = 64 * TcpTransfer.MIB;
            TcpTransfer transfer = TcpTransfer.start(peers.nsB(), peers.nsA(), TwoPeers.A_TUNNEL, bytes,
                    16 * TcpTransfer.MIB);
            E2e.await(Duration.ofSeconds(60), "16 MiB to arrive before B moves",
                    () -> transfer.receivedSoFar() >= 16 * TcpTransfer.MIB);

            peers.nsB().ip("addr", "add", B_NEW_OUTER + "/24", "dev", TwoPeers.VETH_B);
            peers.nsB().ip("addr", "del", TwoPeers.B_OUTER + "/24", "dev", TwoPeers.VETH_B);

            TcpTransfer.Result r = transfer.await(Duration.ofSeconds(60));
            assertEquals(bytes, r.received(), "bytes received");
            assertEquals(r.sentSha256(), r.receivedSha256(), "SHA-256 of what A received vs what B sent");
            WgDump.Peer b = peers.a().dump().peer(peers.b().publicKey()).orElseThrow();
            assertEquals(B_NEW_OUTER + ":" + TwoPeers.PORT, b.endpoint(), "A's endpoint for B after the move");
        }
    }
}
