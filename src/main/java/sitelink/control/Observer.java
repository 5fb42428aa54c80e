package sitelink.control;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.config.Telemetry;
import sitelink.crypto.Key;
import sitelink.device.Device;
import sitelink.tunnel.Clock;

/**
 * Everything that watches one running gateway: names for status, the rate-limited diagnostic log, the metrics
 * endpoint and the event monitor with its syslog and hook sinks. The gateway starts one and closes it first on exit.
 */
public final class Observer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("sitelink.events");
    private final Device device;
    private volatile Map<Key, String> names = Map.of();
    private final Metrics metrics;
    private final Monitor monitor;
    private final SyslogSender syslog;
    private final List<SnmpTrapSender> snmp = new ArrayList<>();

    private Observer(Device device, SiteConfig config) throws IOException {
        this.device = device;
        name(config);
        device.setDiagnosticListener(new DiagnosticLog(Clock.SYSTEM, k -> names.getOrDefault(k, ""),
                () -> Optional.of(config.publicKey())));
        Telemetry t = config.telemetry();
        List<Consumer<TunnelEvent>> sinks = new ArrayList<>();
        syslog = t.syslog().map(SyslogSender::new).orElse(null);
        if (syslog != null) {
            sinks.add(e -> {
                try {
                    syslog.send(e);
                } catch (IOException ex) {
                    LOG.log(Level.WARNING, "syslog collector {0} did not take the {1} event: {2}",
                            t.syslog().get(), e.kind().word, ex.getMessage());
                }
            });
        }
        t.hook().map(EventHook::new).ifPresent(h -> sinks.add(h::run));
        for (var target : t.snmp()) {
            SnmpTrapSender sender;
            try {
                sender = new SnmpTrapSender(target, java.time.Instant.now());
            } catch (IOException e) {
                // Monitoring must not keep the tunnel down; say loudly what is lost and how to fix it.
                LOG.log(Level.ERROR, "SNMP traps to {0} will not be sent: {1}; use an address (or fix name "
                        + "resolution) and restart the gateway", target.describe(), e.getMessage());
                continue;
            }
            snmp.add(sender);
            LOG.log(Level.INFO, "SNMP traps to {0}", target.describe());
            sinks.add(e -> {
                try {
                    sender.send(e);
                } catch (IOException ex) {
                    LOG.log(Level.WARNING, "SNMP trap receiver {0} did not take the {1} event: {2}",
                            target.describe(), e.kind().word, ex.getMessage());
                }
            });
        }
        Metrics m = null;
        if (t.metricsListen().isPresent()) {
            try {
                m = Metrics.start(device::status, t.metricsListen().get(), t.metricsPerSite());
            } catch (IOException e) {
                throw new IOException("metrics cannot listen on " + Explain.endpoint(t.metricsListen().get()) + ": "
                        + e.getMessage() + "; choose another metrics listen address or stop what uses it", e);
            }
            LOG.log(Level.INFO, "metrics on http://{0}/metrics", Explain.endpoint(t.metricsListen().get()));
        }
        metrics = m;
        monitor = new Monitor(device::status, sinks);
        monitor.start();
    }

    /** Starts watching; fails (having started nothing) when the metrics address is taken. */
    public static Observer start(Device device, SiteConfig config) throws IOException {
        return new Observer(device, config);
    }

    /** After a reload: new remote-site names. (Metrics address and event sinks change on restart only: a reload that changes them is refused.) */
    public void name(SiteConfig config) {
        Map<Key, String> m = new HashMap<>();
        for (RemoteSite r : config.remoteSites()) {
            m.put(r.publicKey(), r.name());
        }
        names = Map.copyOf(m);
        device.setNames(config.name(), m);
    }

    @Override
    public void close() {
        monitor.close();
        if (metrics != null) {
            metrics.close();
        }
        if (syslog != null) {
            syslog.close();
        }
        snmp.forEach(SnmpTrapSender::close);
        device.setDiagnosticListener(sitelink.device.Diagnostic.Listener.NONE);
    }
}
