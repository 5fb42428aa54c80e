package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import sitelink.device.DeviceStatus;

/** What a Prometheus scrape of /metrics (on loopback, an ephemeral port) sees. */
class MetricsTest {
    /** A peer that never had a drop still has sitelink_peer_drops_total at 0 for each reason docs/status.md lists. */
    @Test
    void peerDropsAreExportedAtZeroBeforeTheFirstDrop() throws Exception {
        PeerFacts b = new PeerFacts();
        b.name = "office-b";
        TreeMap<String, Long> counters = new TreeMap<>();
        counters.put("drop_filtered", 0L);
        counters.put("drop_replay", 0L);
        counters.put("rx_packets", 0L);
        DeviceStatus d = new DeviceStatus("sl-a", "office-a", Optional.of(PeerFacts.OURS), 51820, Instant.now(),
                counters, List.of(b.build()));
        try (Metrics m = Metrics.start(() -> d, new InetSocketAddress("127.0.0.1", 0))) {
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + m.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (String reason : List.of("filtered", "replay")) {
                assertTrue(body.lines().anyMatch(l -> l.startsWith("sitelink_peer_drops_total{") && l.contains("peer=\"office-b\"")
                        && l.contains("reason=\"" + reason + "\"") && l.endsWith(" 0.0")), reason + ":\n" + body);
            }
        }
    }
}
