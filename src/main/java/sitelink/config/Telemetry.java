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
                        List<SnmpTarget> snmp) {
    public static final int DEFAULT_METRICS_PORT = 9586;
    public static final Telemetry NONE = new Telemetry(Optional.empty(), Optional.empty(), Optional.empty(), List.of());

    public Telemetry {
        snmp = List.copyOf(snmp);
    }
}
