package sitelink.config;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * How a site is watched from outside (docs/status.md): a Prometheus endpoint ({@code metrics: {listen: ...}}, off
 * unless given, on 127.0.0.1 unless an address is named) and where tunnel events go ({@code events: {syslog:
 * udp://HOST:PORT or tcp://HOST:PORT, hook: /path/to/script, snmp: [trap receivers]}}).
 */
public record Telemetry(Optional<InetSocketAddress> metricsListen, Optional<URI> syslog, Optional<Path> hook,
                        List<SnmpTarget> snmp, PerSite metricsPerSite) {
    public static final int DEFAULT_METRICS_PORT = 9586;
    public static final Telemetry NONE = new Telemetry(Optional.empty(), Optional.empty(), Optional.empty(), List.of());

    /**
     * Which per-remote-site series the metrics endpoint exports ({@code metrics: {per_site: ...}}, docs/status.md):
     * a hub's thousand remote sites would otherwise be tens of thousands of series.
     */
    public enum PerSite {
        /** Every per-site series: traffic, handshakes, roaming, and drops by every reason. */
        ALL,
        /** Per site only {@code up}, the bytes each way and the latest handshake: four series a site. */
        BASIC,
        /** No per-site series: the counts by state and the device-wide counters only. */
        NONE,
        /** ALL up to {@link #AUTO_ALL_UP_TO} remote sites, BASIC above (the default). */
        AUTO;

        public static final int AUTO_ALL_UP_TO = 100;

        /** What this setting means for a gateway with {@code remoteSites} remote sites. */
        public PerSite at(int remoteSites) {
            return this != AUTO ? this : remoteSites <= AUTO_ALL_UP_TO ? ALL : BASIC;
        }
    }

    public Telemetry {
        snmp = List.copyOf(snmp);
    }

    public Telemetry(Optional<InetSocketAddress> metricsListen, Optional<URI> syslog, Optional<Path> hook,
                     List<SnmpTarget> snmp) {
        this(metricsListen, syslog, hook, snmp, PerSite.AUTO);
    }
}
