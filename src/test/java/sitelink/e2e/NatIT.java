package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Gateway A behind a masquerading NAT whose UDP mappings expire after a few seconds (conntrack timeouts of the NAT's
 * namespace). Without persistent keepalive the mapping expires and B can no longer reach A; with it the tunnel stays
 * reachable from B, and when the NAT's public address changes mid-transfer B follows A to the new mapping.
 */
class NatIT {
    private static final int NAT_UDP_TIMEOUT = 4;
    private static final String NEW_PUBLIC = "198.18.2.3";

    @Test
    @DisplayName("behind a NAT, persistent keepalive keeps the tunnel reachable and survives a new public address")
    void keepsTunnelThroughNat() {
        try (WanPeers w = WanPeers.natted(WireGuardNode.SITELINK, WireGuardNode.SITELINK, NAT_UDP_TIMEOUT)) {
            Traffic.awaitPing(w.nsA(), TwoPeers.B_TUNNEL, Duration.ofSeconds(20));
            String aSeenFromB = endpointOfA(w);
            assertTrue(aSeenFromB.startsWith(WanPeers.NAT_PUBLIC + ":"), "B sees A at the NAT's address: " + aSeenFromB);

            // Control: idle past the NAT's timeout without keepalive, B cannot reach A (the mapping is gone).
            E2e.sleep((NAT_UDP_TIMEOUT + 3) * 1000L);
            Traffic.Ping lost = Traffic.ping(w.nsB(), TwoPeers.A_TUNNEL, 2, 0.5);
            assertEquals(0, lost.received(), "the NAT mapping should have expired:\n" + lost.output());

            // Persistent keepalive (1 s) opens a mapping at once and keeps it open while idle.
            w.a().wgSet("peer", w.b().publicKey(), "persistent-keepalive", "1");
            E2e.sleep((NAT_UDP_TIMEOUT + 3) * 1000L);
            Traffic.Ping kept = Traffic.ping(w.nsB(), TwoPeers.A_TUNNEL, 5, 0.2);
            assertTrue(kept.lossless(), "B reaches A after idling past the NAT timeout:\n" + kept.output());

            // The NAT's public address changes mid-transfer (masquerade forgets the old mappings with the address).
            long bytes = 32 * TcpTransfer.MIB;
            long start = System.nanoTime();
            TcpTransfer transfer = TcpTransfer.start(w.nsA(), w.nsB(), TwoPeers.B_TUNNEL, bytes, 4 * TcpTransfer.MIB);
            E2e.await(Duration.ofSeconds(60), "8 MiB before the NAT changes address",
                    () -> transfer.receivedSoFar() >= 8 * TcpTransfer.MIB);
            w.middle().ip("addr", "add", NEW_PUBLIC + "/24", "dev", "wnb");
            w.middle().ip("addr", "del", WanPeers.NAT_PUBLIC + "/24", "dev", "wnb");
            long changed = System.nanoTime();
            E2e.await(Duration.ofSeconds(20), "B to follow A to the NAT's new address",
                    () -> endpointOfA(w).startsWith(NEW_PUBLIC + ":"), () -> endpointOfA(w));
            double followSeconds = (System.nanoTime() - changed) / 1e9;
            TcpTransfer.Result r = transfer.await(Duration.ofMinutes(2));
            assertEquals(bytes, r.received(), "bytes received");
            assertEquals(r.sentSha256(), r.receivedSha256(), "SHA-256 across the NAT's address change");
            ImpairedWanIT.report("NAT", String.format("mapping expired without keepalive (0/%d pings); with 1 s keepalive "
                    + "%d/%d pings after %d s idle; B followed the NAT's new address in %.1f s; 32 MiB transfer across it "
                    + "intact in %.1f s", lost.transmitted(), kept.received(), kept.transmitted(), NAT_UDP_TIMEOUT + 3,
                    followSeconds, (System.nanoTime() - start) / 1e9));
        }
    }

    private static String endpointOfA(WanPeers w) {
        return w.b().dump().peer(w.a().publicKey()).orElseThrow().endpoint();
    }
}
