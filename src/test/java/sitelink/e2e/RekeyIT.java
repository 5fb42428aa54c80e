package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import sitelink.e2e.TwoPeers.Endpoints;
import sitelink.e2e.WireGuardNode.Kind;

/**
 * A steady ping runs for 140 s, past REKEY_AFTER_TIME (120 s), so the initiator makes a fresh handshake while traffic
 * flows; not one ping may be lost. Each pair is its own topology, all run at once to keep the suite short: sitelink
 * initiating with wireguard-go, wireguard-go initiating with sitelink, sitelink with itself, and wireguard-go with
 * itself as the reference.
 */
class RekeyIT {
    private static final int PINGS = 700;
    private static final double INTERVAL = 0.2;

    /** A sends the pings, so A's side initiated the session and rekeys it. */
    private record Pair(Kind initiator, Kind responder) {}

    @Test
    @DisplayName("traffic between sitelink and wireguard-go, and between two sitelinks, crosses a rekey without losing a packet")
    void trafficCrossesRekeyWithoutLoss() {
        List<Pair> pairs = List.of(
                new Pair(WireGuardNode.SITELINK, WireGuardNode.WIREGUARD_GO),
                new Pair(WireGuardNode.WIREGUARD_GO, WireGuardNode.SITELINK),
                new Pair(WireGuardNode.SITELINK, WireGuardNode.SITELINK),
                new Pair(WireGuardNode.WIREGUARD_GO, WireGuardNode.WIREGUARD_GO));
        List<TwoPeers> started = new ArrayList<>();
        try {
            for (Pair pair : pairs) started.add(TwoPeers.start(pair.initiator(), pair.responder(), Endpoints.BOTH));
            List<long[]> firstHandshakes = new ArrayList<>();
            List<Proc> pings = new ArrayList<>();
            for (TwoPeers peers : started) {
                Traffic.awaitPing(peers.nsA(), TwoPeers.B_TUNNEL, Duration.ofSeconds(20));
                firstHandshakes.add(handshakes(peers));
                pings.add(Traffic.startPing(peers.nsA(), TwoPeers.B_TUNNEL, PINGS, INTERVAL));
            }
            List<Executable> checks = new ArrayList<>();
            for (int i = 0; i < started.size(); i++) {
                TwoPeers peers = started.get(i);
                Traffic.Ping ping = Traffic.parse(waitOutput(pings.get(i)));
                long[] before = firstHandshakes.get(i);
                long[] after = handshakes(peers);
                checks.add(() -> assertTrue(ping.lossless(), peers + ": pings lost across the rekey:\n" + ping.output()));
                checks.add(() -> assertTrue(after[0] > before[0] && after[1] > before[1],
                        peers + ": latest handshake did not change (no rekey?): A " + before[0] + " → " + after[0]
                                + ", B " + before[1] + " → " + after[1]));
            }
            assertAll(checks);
        } finally {
            started.forEach(TwoPeers::close);
        }
    }

    private static String waitOutput(Proc ping) {
        ping.waitFor(Duration.ofMillis((long) (PINGS * INTERVAL * 1000) + 60_000));
        return ping.output();
    }

    /** The latest handshake A reports for B and B reports for A. */
    private static long[] handshakes(TwoPeers peers) {
        Function<WireGuardNode, Long> latest = node -> node.dump().peers().getFirst().latestHandshake();
        return new long[] {latest.apply(peers.a()), latest.apply(peers.b())};
    }
}
