package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    /** A hub of 150 remote sites, none connected yet, with two device-wide drop reasons. */
    private static DeviceStatus hub() {
        TreeMap<String, Long> counters = new TreeMap<>();
        counters.put("drop_filtered", 0L);
        counters.put("drop_replay", 0L);
        List<sitelink.device.PeerStatus> peers = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) {
            PeerFacts p = new PeerFacts();
            p.publicKey = PeerFacts.key(10 + i);
            p.name = "spoke-" + i;
            peers.add(p.build());
        }
        return new DeviceStatus("sl-hub", "hub", Optional.of(PeerFacts.OURS), 51820, Instant.now(), counters, peers);
    }

    private static List<String> scrape(DeviceStatus d, sitelink.config.Telemetry.PerSite perSite) throws Exception {
        try (Metrics m = Metrics.start(() -> d, new InetSocketAddress("127.0.0.1", 0), perSite)) {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + m.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body().lines().filter(l -> !l.startsWith("#")).toList();
        }
    }

    private static long series(List<String> body, String name) {
        return body.stream().filter(l -> l.startsWith(name + "{")).count();
    }

    /** Past 100 remote sites the default keeps four series a site; the counts by state are always there. */
    @Test
    void aHubExportsFourSeriesPerSiteByDefaultAndItsSitesByState() throws Exception {
        List<String> auto = scrape(hub(), sitelink.config.Telemetry.PerSite.AUTO);
        assertEquals(150, series(auto, "sitelink_peer_up"));
        assertEquals(150, series(auto, "sitelink_peer_rx_bytes_total"));
        assertEquals(150, series(auto, "sitelink_peer_tx_bytes_total"));
        assertEquals(150, series(auto, "sitelink_peer_last_handshake_seconds"));
        assertEquals(0, series(auto, "sitelink_peer_drops_total"));
        assertEquals(0, series(auto, "sitelink_peer_rx_packets_total"));
        assertEquals(4 * 150, auto.stream().filter(l -> l.startsWith("sitelink_peer_")).count(), "per-site series");
        assertTrue(auto.contains("sitelink_remote_sites{site=\"hub\",state=\"IDLE\"} 150.0"), String.join("\n", auto));
        assertTrue(auto.contains("sitelink_remote_sites{site=\"hub\",state=\"ESTABLISHED\"} 0.0"));

        List<String> all = scrape(hub(), sitelink.config.Telemetry.PerSite.ALL);
        assertEquals(150 * 2, series(all, "sitelink_peer_drops_total"), "every site, every reason");
        assertEquals(0, scrape(hub(), sitelink.config.Telemetry.PerSite.NONE).stream()
                .filter(l -> l.startsWith("sitelink_peer_")).count());
    }
}
