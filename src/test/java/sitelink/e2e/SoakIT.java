package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.e2e.WanPeers.Impairment;
import sitelink.testbed.Proc;

/**
 * A bounded soak: continuous traffic (a rate-limited TCP stream and a ping every 100 ms) through a WAN that loses 0.5%
 * of datagrams, across at least one rekey (REKEY_AFTER_TIME is 120 s). Proves: the TCP stream arrives intact, every
 * lost ping is explained by a probe datagram the relay dropped (none lost to a rekey or a bug), and the devices' RSS
 * stays flat. {@code -Dsitelink.soak.seconds=N} (default 150; the long setting in docs/robustness.md is 900).
 */
class SoakIT {
    /** Probe size: a 1000-byte ping payload is a 1028-byte IP packet, padded to 1040, in a 1072-byte datagram. */
    private static final int PING_PAYLOAD = 1000, PROBE_DATAGRAM = 1072;
    private static final long RATE = TcpTransfer.MIB;

    @Test
    @DisplayName("continuous traffic across rekeys: no loss beyond the WAN's, intact stream, flat memory")
    void soak() {
        int seconds = Integer.getInteger("sitelink.soak.seconds", 150);
        try (WanPeers w = WanPeers.relayed(WireGuardNode.SITELINK, WireGuardNode.SITELINK,
                new Impairment(0.005, 0, 0, 0, 0, 11))) {
            Traffic.awaitPing(w.nsA(), TwoPeers.B_TUNNEL, Duration.ofSeconds(30));
            long firstHandshake = w.a().dump().peer(w.b().publicKey()).orElseThrow().latestHandshake();
            w.awaitFreshRelayStats();
            long probeDropsBefore = probeDrops(w);
            long bufferDropsBefore = bufferDrops(w);

            long bytes = RATE * seconds;
            TcpTransfer stream = TcpTransfer.start(w.nsA(), w.nsB(), TwoPeers.B_TUNNEL, bytes, RATE);
            int count = seconds * 10;
            Proc ping = w.nsA().start("ping", "-n", "-q", "-s", Integer.toString(PING_PAYLOAD), "-c",
                    Integer.toString(count), "-i", "0.1", "-W", "2", TwoPeers.B_TUNNEL);
            List<long[]> rss = new ArrayList<>(); // {seconds, A KiB, B KiB}
            long start = System.nanoTime();
            while (ping.isAlive() && System.nanoTime() - start < (seconds + 30) * 1_000_000_000L) {
                rss.add(new long[] {(System.nanoTime() - start) / 1_000_000_000L, w.a().rssKib(), w.b().rssKib()});
                E2e.sleep(10_000);
            }
            ping.waitFor(Duration.ofSeconds(10));
            Traffic.Ping p = Traffic.parse(ping.output());
            TcpTransfer.Result r = stream.await(Duration.ofSeconds(60));
            w.awaitFreshRelayStats();
            long probeDrops = probeDrops(w) - probeDropsBefore;
            long bufferDrops = bufferDrops(w) - bufferDropsBefore;
            long lastHandshake = w.a().dump().peer(w.b().publicKey()).orElseThrow().latestHandshake();

            StringBuilder series = new StringBuilder();
            for (long[] s : rss) series.append(String.format(" %ds:%d/%d", s[0], s[1] / 1024, s[2] / 1024));
            ImpairedWanIT.report("soak", String.format("%d s, %d MiB streamed intact: %s; pings %d/%d, lost %d, probe "
                    + "datagrams the relay dropped %d, datagrams the kernel dropped at a full receive buffer %d; "
                    + "handshakes at +0 and +%d s; RSS MiB A/B:%s", seconds, r.received() / TcpTransfer.MIB,
                    r.sentSha256().equals(r.receivedSha256()), p.received(), p.transmitted(),
                    p.transmitted() - p.received(), probeDrops, bufferDrops, lastHandshake - firstHandshake, series));

            assertEquals(bytes, r.received(), "bytes streamed");
            assertEquals(r.sentSha256(), r.receivedSha256(), "SHA-256 of the stream");
            assertTrue(lastHandshake > firstHandshake, "at least one rekey during the soak");
            // A ping is lost when its request or its reply was dropped by the relay (never both: no reply without a
            // request), so losses must equal the dropped probe datagrams: nothing lost to a rekey or the devices. The
            // one other loss the machine causes: a process stalled long enough (a loaded 2-core machine: 200 ms RTTs
            // seen) that the kernel drops a datagram at its full UDP receive buffer (Udp RcvbufErrors, counted per
            // namespace; for any datagram, so it bounds the extra ping losses from above).
            // The relay knows a probe only by its datagram's size, and a segment of the stream can have that size too
            // (a TCP payload of 973-988 bytes pads to the same 1040: seen once, 16 pings lost against 17 probe-sized
            // drops). So every lost ping must be explained (the upper bound: what this test is for), and nearly every
            // probe-sized drop must have cost a ping (the lower bound, with room for that coincidence).
            long lost = p.transmitted() - p.received();
            String counts = "lost pings " + lost + " vs probe-sized datagrams the relay dropped " + probeDrops
                    + " and datagrams the kernel dropped at a full receive buffer " + bufferDrops;
            assertTrue(lost <= probeDrops + bufferDrops, counts + ": pings lost beyond the WAN's");
            assertTrue(lost >= probeDrops - Math.max(2, probeDrops / 5), counts + ": the relay's drops not seen as lost pings");
            // Flat memory: after the first 30 s (JIT, heap sizing), RSS grows by less than 32 MiB.
            long[] warm = rss.stream().filter(s -> s[0] >= 30).findFirst().orElse(rss.getFirst());
            long[] last = rss.getLast();
            assertTrue(last[1] - warm[1] < 32 * 1024 && last[2] - warm[2] < 32 * 1024, "RSS grew: " + series);
        }
    }

    /** Datagrams the kernel dropped at a full UDP receive buffer, in the two gateways' and the relay's namespaces. */
    private static long bufferDrops(WanPeers w) {
        return E2e.snmp(w.nsA(), "Udp", "RcvbufErrors") + E2e.snmp(w.middle(), "Udp", "RcvbufErrors")
                + E2e.snmp(w.nsB(), "Udp", "RcvbufErrors");
    }

    private static long probeDrops(WanPeers w) {
        return w.relayStats("a2b").get("dlen_" + PROBE_DATAGRAM) + w.relayStats("b2a").get("dlen_" + PROBE_DATAGRAM);
    }
}
