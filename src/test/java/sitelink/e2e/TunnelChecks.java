package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

/** The checks a user makes on a new tunnel, shared by the pair and interop tests. */
public final class TunnelChecks {
    private TunnelChecks() {}

    public static final long TRANSFER_BYTES = 64 * TcpTransfer.MIB;

    /** A pings B (the first ping starts the handshake), then both ping each other without loss. */
    public static void assertPingsAcross(TwoPeers peers) {
        Traffic.awaitPing(peers.nsA(), TwoPeers.B_TUNNEL, Duration.ofSeconds(20));
        Traffic.Ping aToB = Traffic.ping(peers.nsA(), TwoPeers.B_TUNNEL, 5, 0.2);
        assertTrue(aToB.lossless(), "A → B lost pings:\n" + aToB.output());
        Traffic.Ping bToA = Traffic.ping(peers.nsB(), TwoPeers.A_TUNNEL, 5, 0.2);
        assertTrue(bToA.lossless(), "B → A lost pings:\n" + bToA.output());
    }

    /** 64 MiB from A to B over TCP through the tunnel arrive complete and unchanged (same SHA-256). */
    public static void assertTransfersIntact(TwoPeers peers) {
        TcpTransfer.Result r = TcpTransfer.start(peers.nsA(), peers.nsB(), TwoPeers.B_TUNNEL, TRANSFER_BYTES, 0)
                .await(Duration.ofMinutes(3));
        assertEquals(TRANSFER_BYTES, r.sent(), "bytes sent");
        assertEquals(TRANSFER_BYTES, r.received(), "bytes received");
        assertEquals(r.sentSha256(), r.receivedSha256(), "SHA-256 of what B received vs what A sent");
    }

    /** {@code wg show} on both sides reports the peer with a handshake and at least the transferred bytes. */
    public static void assertWgShowReportsTraffic(TwoPeers peers, long atLeastBytes) {
        WgDump.Peer bSeenFromA = peers.a().dump().peer(peers.b().publicKey())
                .orElseThrow(() -> new AssertionError("A's wg show lacks peer B"));
        WgDump.Peer aSeenFromB = peers.b().dump().peer(peers.a().publicKey())
                .orElseThrow(() -> new AssertionError("B's wg show lacks peer A"));
        long now = System.currentTimeMillis() / 1000;
        for (WgDump.Peer p : new WgDump.Peer[] {bSeenFromA, aSeenFromB}) {
            assertTrue(p.latestHandshake() > now - 600 && p.latestHandshake() <= now + 5,
                    "latest handshake should be recent: " + p);
        }
        assertTrue(bSeenFromA.txBytes() >= atLeastBytes, "A's transfer-tx to B: " + bSeenFromA);
        assertTrue(aSeenFromB.rxBytes() >= atLeastBytes, "B's transfer-rx from A: " + aSeenFromB);
        assertTrue(bSeenFromA.rxBytes() > 0 && aSeenFromB.txBytes() > 0, "acks flowed back: " + aSeenFromB);
        assertEquals(TwoPeers.A_OUTER + ":" + TwoPeers.PORT, aSeenFromB.endpoint(), "B's endpoint for A");
    }

    /** The whole first-tunnel story: ping, 64 MiB intact, wg show's counters. */
    public static void assertTunnelWorks(TwoPeers peers) {
        assertPingsAcross(peers);
        assertTransfersIntact(peers);
        assertWgShowReportsTraffic(peers, TRANSFER_BYTES);
    }

    /** A UAPI set with a malformed key is refused with -EINVAL and changes nothing. */
    public static void assertRejectsGarbageKey(WireGuardNode node) {
        String before = node.showconf();
        Uapi.Response r = node.uapi("set=1\nprivate_key=" + "zz".repeat(32) + "\n\n");
        assertEquals(-22, r.errno(), "errno for a malformed private_key: " + r.lines());
        assertEquals(before, node.showconf(), "wg showconf after the refused set");
    }
}
