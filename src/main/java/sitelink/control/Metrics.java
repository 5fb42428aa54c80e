package sitelink.control;

import sitelink.ipsec.IpsecSiteStatus;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.function.Supplier;
import sitelink.config.Telemetry;
import sitelink.config.Telemetry.PerSite;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;

/**
 * The site's Prometheus endpoint (docs/status.md): per-peer counters and gauges read from the device at scrape time
 * through callbacks, so the data path keeps no metric objects of its own. One status read serves one scrape.
 *
 * <p>Cardinality stays bounded on a hub: {@code sitelink_remote_sites{state}} counts the remote sites by state, and the
 * per-site series follow {@link Telemetry.PerSite} (by default every series up to 100 remote sites, above that only
 * {@code up}, the bytes each way and the latest handshake: four a site instead of some thirty).
 */
public final class Metrics implements AutoCloseable {
    private final Supplier<DeviceStatus> status;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final HTTPServer server;
    private volatile DeviceStatus cached;
    private volatile long cachedAt;
    private final PerSite perSite;

    private Metrics(Supplier<DeviceStatus> status, InetSocketAddress listen, PerSite perSite) throws IOException {
        this.status = status;
        this.perSite = perSite;
        peerCounter(PerSite.BASIC, "sitelink_peer_rx_bytes",
                "Bytes received from the peer (WireGuard datagrams; IKEv2 sites: inner packets)",
                PeerStatus::rxBytes, IpsecSiteStatus::rxBytes);
        peerCounter(PerSite.BASIC, "sitelink_peer_tx_bytes",
                "Bytes sent to the peer (WireGuard datagrams; IKEv2 sites: inner packets)",
                PeerStatus::txBytes, IpsecSiteStatus::txBytes);
        peerCounter(PerSite.ALL, "sitelink_peer_rx_packets", "Data packets received from the peer (keepalives not counted)",
                PeerStatus::rxPackets, IpsecSiteStatus::rxPackets);
        peerCounter(PerSite.ALL, "sitelink_peer_tx_packets", "Data packets sent to the peer (keepalives not counted)",
                PeerStatus::txPackets, IpsecSiteStatus::txPackets);
        peerCounter(PerSite.ALL, "sitelink_peer_handshake_attempts", "Handshake initiations sent to the peer",
                PeerStatus::handshakeAttempts, null);
        peerCounter(PerSite.ALL, "sitelink_peer_roaming_events", "Times the peer's endpoint changed",
                PeerStatus::roamingEvents, null);
        GaugeWithCallback.builder().name("sitelink_peer_last_handshake_seconds")
                .help("Unix time of the latest completed handshake, 0 if none").labelNames("site", "peer").callback(cb -> {
                    DeviceStatus s = read();
                    if (exports(s, PerSite.BASIC)) {
                        s.peers().forEach(p -> cb.call(p.lastHandshake().map(t -> t.toEpochMilli() / 1000.0).orElse(0.0),
                                s.site(), name(p)));
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("sitelink_remote_sites")
                .help("Remote sites by state (ESTABLISHED, CONNECTING, IDLE, DOWN; IKEv2 also WAITING)")
                .labelNames("site", "state").callback(cb -> {
                    DeviceStatus s = read();
                    Map<String, Integer> byState = new java.util.TreeMap<>();
                    for (TunnelState t : TunnelState.values()) {
                        byState.put(t.name(), 0);
                    }
                    s.peers().forEach(p -> byState.merge(Assessment.of(p, s.at(), s.publicKey()).state().name(), 1,
                            Integer::sum));
                    s.ikeSites().forEach(i -> byState.merge(i.state(), 1, Integer::sum));
                    byState.forEach((state, n) -> cb.call(n, s.site(), state));
                }).register(registry);
        GaugeWithCallback.builder().name("sitelink_peer_up").help("1 while the tunnel to the peer is ESTABLISHED, else 0")
                .labelNames("site", "peer").callback(cb -> {
                    DeviceStatus s = read();
                    if (!exports(s, PerSite.BASIC)) {
                        return;
                    }
                    s.peers().forEach(p -> cb.call(Assessment.of(p, s.at(), s.publicKey()).state() == TunnelState.ESTABLISHED
                            ? 1.0 : 0.0, s.site(), name(p)));
                    s.ikeSites().forEach(i -> cb.call(i.isEstablished() ? 1.0 : 0.0, s.site(), i.name()));
                }).register(registry);
        GaugeWithCallback.builder().name("sitelink_ike_child_sas").help("CHILD SAs installed with an IKEv2 site")
                .labelNames("site", "peer").callback(cb -> {
                    DeviceStatus s = read();
                    s.ikeSites().forEach(i -> cb.call(i.children().size(), s.site(), i.name()));
                }).register(registry);
        CounterWithCallback.builder().name("sitelink_peer_drops")
                .help("Datagrams and packets of the peer dropped, by reason").labelNames("site", "peer", "reason")
                .callback(cb -> {
                    DeviceStatus s = read();
                    if (exports(s, PerSite.ALL)) {
                        s.peers().forEach(p -> peerDrops(s, p).forEach((r, n) -> cb.call(n, s.site(), name(p), r)));
                    }
                }).register(registry);
        CounterWithCallback.builder().name("sitelink_drops")
                .help("Datagrams and packets the device dropped, by reason").labelNames("site", "reason")
                .callback(cb -> {
                    DeviceStatus s = read();
                    for (Map.Entry<String, Long> e : s.counters().entrySet()) {
                        if (e.getKey().startsWith("drop_")) {
                            cb.call(e.getValue(), s.site(), e.getKey().substring(5));
                        }
                    }
                }).register(registry);
        this.server = HTTPServer.builder().inetAddress(listen.getAddress()).port(listen.getPort())
                .registry(registry).buildAndStart();
    }

    /** Starts serving /metrics on {@code listen}, the per-site series as {@link PerSite#AUTO} chooses them. */
    public static Metrics start(Supplier<DeviceStatus> status, InetSocketAddress listen) throws IOException {
        return new Metrics(status, listen, PerSite.AUTO);
    }

    /** Starts serving /metrics on {@code listen}, the per-site series as {@code perSite} says. */
    public static Metrics start(Supplier<DeviceStatus> status, InetSocketAddress listen, PerSite perSite)
            throws IOException {
        return new Metrics(status, listen, perSite);
    }

    /** True if the series of {@code level} (BASIC or ALL) are exported for this gateway's number of remote sites. */
    private boolean exports(DeviceStatus s, PerSite level) {
        PerSite now = perSite.at(s.peers().size() + s.ikeSites().size());
        return now == PerSite.ALL || now == level;
    }

    public int port() {
        return server.getPort();
    }

    /** A counter per remote site: WireGuard peers by {@code f}, IKEv2 sites by {@code ike} (none when null). */
    private void peerCounter(PerSite level, String name, String help, java.util.function.ToLongFunction<PeerStatus> f,
                             java.util.function.ToLongFunction<IpsecSiteStatus> ike) {
        CounterWithCallback.builder().name(name).help(help).labelNames("site", "peer").callback(cb -> {
            DeviceStatus s = read();
            if (!exports(s, level)) {
                return;
            }
            s.peers().forEach(p -> cb.call(f.applyAsLong(p), s.site(), name(p)));
            if (ike != null) {
                s.ikeSites().forEach(i -> cb.call(ike.applyAsLong(i), s.site(), i.name()));
            }
        }).register(registry);
    }

    /**
     * Every drop reason the device counts, 0 where the peer has none: a series that exists from the start, so that
     * rate() and alerts see the first drop instead of a series appearing out of nothing.
     */
    static Map<String, Long> peerDrops(DeviceStatus s, PeerStatus p) {
        Map<String, Long> m = new java.util.TreeMap<>();
        s.counters().keySet().stream().filter(k -> k.startsWith("drop_")).forEach(k -> m.put(k.substring(5), 0L));
        m.putAll(p.drops());
        return m;
    }

    private static String name(PeerStatus p) {
        return p.name().isEmpty() ? p.publicKey().toBase64() : p.name();
    }

    /** One device read per scrape: the callbacks of one scrape run within milliseconds of each other. */
    private DeviceStatus read() {
        long now = System.nanoTime();
        DeviceStatus s = cached;
        if (s == null || now - cachedAt > 200_000_000L) {
            s = status.get();
            cached = s;
            cachedAt = now;
        }
        return s;
    }

    @Override
    public void close() {
        server.close();
    }
}
