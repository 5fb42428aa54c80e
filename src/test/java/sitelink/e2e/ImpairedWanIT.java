package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.e2e.WanPeers.Impairment;

/**
 * sitelink ↔ sitelink through a lossy WAN ({@link sitelink.e2e.tools.ImpairmentRelay}): streams arrive complete and
 * unchanged, every duplicate and every corrupted datagram is refused and counted, and nothing corrupt reaches the LAN.
 */
class ImpairedWanIT {
    @Test
    @DisplayName("64 MiB over TCP under 5% loss, 5% reordering, 1% duplication arrive with a matching SHA-256")
    void transferSurvivesLossReorderingDuplication() {
        Impairment wan = new Impairment(0.05, 0.05, 0.01, 0, 0, 42);
        try (WanPeers w = WanPeers.relayed(WireGuardNode.SITELINK, WireGuardNode.SITELINK, wan)) {
            Traffic.awaitPing(w.nsA(), TwoPeers.B_TUNNEL, Duration.ofSeconds(30));
            long bytes = 64 * TcpTransfer.MIB;
            long start = System.nanoTime();
            TcpTransfer.Result r = TcpTransfer.start(w.nsA(), w.nsB(), TwoPeers.B_TUNNEL, bytes, 0)
                    .await(Duration.ofMinutes(3));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(bytes, r.received(), "bytes received");
            assertEquals(r.sentSha256(), r.receivedSha256(), "SHA-256 of what B received vs what A sent");

            w.awaitFreshRelayStats();
            WanPeers.RelayStats a2b = w.relayStats("a2b"), b2a = w.relayStats("b2a");
            long duplicated = a2b.get("duplicated") + b2a.get("duplicated");
            long drops = drops(w.a()) + drops(w.b());
            assertTrue(duplicated > 0, "the relay duplicated datagrams");
            report("impaired transfer", String.format("64 MiB in %.1f s (%.1f MiB/s); relay a2b %s; b2a %s; "
                    + "A counters %s; B counters %s", seconds, 64 / seconds, a2b.counts(), b2a.counts(),
                    counters(w.a()), counters(w.b())));
            assertTrue(a2b.get("dropped") > 0 && a2b.get("reordered") > 0 && a2b.get("duplicated") > 0,
                    "the relay impaired the stream: " + a2b.counts());
            // Every duplicate reached a gateway a second time and must have been refused (replay) and counted; loss
            // and reordering (within the replay window) must cost no other drop.
            assertEquals(duplicated, drops, "inbound drops on A and B vs datagrams the relay duplicated");
        }
    }

    @Test
    @DisplayName("corrupted datagrams are all rejected and counted, and the transfer hash still matches")
    void corruptedDatagramsAreRejected() {
        Impairment wan = new Impairment(0, 0, 0, 0.02, 0, 7);
        try (WanPeers w = WanPeers.relayed(WireGuardNode.SITELINK, WireGuardNode.SITELINK, wan)) {
            Traffic.awaitPing(w.nsA(), TwoPeers.B_TUNNEL, Duration.ofSeconds(30));
            long bytes = 32 * TcpTransfer.MIB;
            TcpTransfer.Result r = TcpTransfer.start(w.nsA(), w.nsB(), TwoPeers.B_TUNNEL, bytes, 0)
                    .await(Duration.ofMinutes(3));
            assertEquals(bytes, r.received(), "bytes received");
            assertEquals(r.sentSha256(), r.receivedSha256(), "SHA-256: nothing corrupt reached B's LAN side");

            // Each corrupted datagram is refused exactly once (MAC1, AEAD tag, index or type check): nothing else
            // drops on a WAN that only corrupts, so the devices' drop counters must add up to the relay's count.
            long[] corrupted = new long[1];
            E2e.await(Duration.ofSeconds(15), "the devices' drops to account for every corrupted datagram", () -> {
                w.awaitFreshRelayStats();
                corrupted[0] = w.relayStats("a2b").get("corrupted") + w.relayStats("b2a").get("corrupted");
                return drops(w.a()) + drops(w.b()) == corrupted[0];
            }, () -> "corrupted " + corrupted[0] + "; A " + counters(w.a()) + "; B " + counters(w.b()));
            Map<String, Long> a = counters(w.a()), b = counters(w.b());
            report("corruption", "relay corrupted " + corrupted[0] + " datagrams; A counters " + a + "; B counters " + b);
            assertTrue(corrupted[0] > 100, "the relay corrupted enough datagrams to mean something: " + corrupted[0]);
            assertTrue(b.get("drop_decrypt_failed") > 0, "B refused corrupted transport messages: " + b);
            assertEquals(0, a.get("drop_source_not_allowed") + b.get("drop_source_not_allowed")
                    + a.get("drop_invalid_packet") + b.get("drop_invalid_packet"),
                    "no corrupted datagram decrypted into a packet");
        }
    }

    static long drops(WireGuardNode node) {
        return ((SitelinkNode) node).inboundDrops();
    }

    static Map<String, Long> counters(WireGuardNode node) {
        return ((SitelinkNode) node).counters();
    }

    /** Prints a scenario's figures to stdout, which failsafe keeps in the test's report (and the build log). */
    static void report(String scenario, String figures) {
        System.out.println("[robustness] " + scenario + ": " + figures);
    }
}
