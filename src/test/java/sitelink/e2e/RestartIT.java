package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.e2e.TwoPeers.Endpoints;

/**
 * Gateway A dies mid-transfer (SIGKILL: no cleanup) and is restarted with the same configuration, as an init system
 * would. The tunnel must come back within seconds (A's first packet starts a handshake B accepts: its timestamp is
 * newer than the dead process's), and a transfer retried across it must complete intact.
 */
class RestartIT {
    @Test
    @DisplayName("a gateway killed with SIGKILL and restarted: the tunnel is back within seconds and a retried transfer completes")
    void tunnelReturnsAfterKillAndRestart() {
        try (TwoPeers peers = TwoPeers.start(WireGuardNode.SITELINK, WireGuardNode.SITELINK, Endpoints.BOTH)) {
            Traffic.awaitPing(peers.nsA(), TwoPeers.B_TUNNEL, Duration.ofSeconds(20));
            TcpTransfer interrupted = TcpTransfer.start(peers.nsA(), peers.nsB(), TwoPeers.B_TUNNEL,
                    64 * TcpTransfer.MIB, 4 * TcpTransfer.MIB);
            E2e.await(Duration.ofSeconds(60), "4 MiB before the kill",
                    () -> interrupted.receivedSoFar() >= 4 * TcpTransfer.MIB);

            peers.a().kill();
            long killed = System.nanoTime();
            interrupted.abort();
            peers.a().restart();
            long configured = System.nanoTime();
            Traffic.awaitPing(peers.nsA(), TwoPeers.B_TUNNEL, Duration.ofSeconds(30));
            long back = System.nanoTime();
            Traffic.Ping fromB = Traffic.ping(peers.nsB(), TwoPeers.A_TUNNEL, 5, 0.2);
            assertTrue(fromB.lossless(), "B reaches the restarted A:\n" + fromB.output());

            long bytes = 32 * TcpTransfer.MIB;
            TcpTransfer.Result r = TcpTransfer.start(peers.nsA(), peers.nsB(), TwoPeers.B_TUNNEL, bytes, 0)
                    .await(Duration.ofMinutes(2));
            assertEquals(bytes, r.received(), "bytes received by the retried transfer");
            assertEquals(r.sentSha256(), r.receivedSha256(), "SHA-256 of the retried transfer");
            double sinceKill = (back - killed) / 1e9, sinceConfigured = (back - configured) / 1e9;
            ImpairedWanIT.report("kill and restart", String.format("tunnel back %.1f s after SIGKILL (process start and "
                    + "configuration included), %.2f s after the restarted device was configured; retried 32 MiB intact",
                    sinceKill, sinceConfigured));
            assertTrue(sinceConfigured < 5, "tunnel back within 5 s of the restart: " + sinceConfigured);
        }
    }
}
