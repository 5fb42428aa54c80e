package sitelink.gateway;

import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.crypto.Key;
import sitelink.device.ControlChannel;
import sitelink.device.Device;
import sitelink.pqpsk.ControlPacket;
import sitelink.pqpsk.PqPskExchange;
import sitelink.tunnel.Clock;
import sitelink.tunnel.Remote;

/**
 * The post-quantum preshared key of the WireGuard sites with {@code post_quantum: on} (docs/post-quantum.md): one
 * {@link PqPskExchange} per site, driven here. Its messages travel through the device's control channel, its keys go
 * into the WireGuard peer, and a site without a current key has its traffic held back.
 */
final class PostQuantumSites implements ControlChannel, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("sitelink.gateway");
    /**
     * The rotation interval and the fail-closed timeout, shortened for the end-to-end test (which cannot wait five
     * times two minutes) through the system properties sitelink.pq.interval_seconds and
     * sitelink.pq.fail_closed_seconds. Not site-file fields: every gateway of a pair must use the same.
     */
    static final PqPskExchange.Settings SETTINGS = new PqPskExchange.Settings(
            Duration.ofSeconds(Long.getLong("sitelink.pq.interval_seconds", 120)),
            Duration.ofSeconds(Long.getLong("sitelink.pq.fail_closed_seconds", 180)), Duration.ofSeconds(2));
    /** Test hook: while this file exists the gateway neither starts nor answers an exchange (sitelink.pq.pause_file). */
    private static final Optional<Path> PAUSE = Optional.ofNullable(System.getProperty("sitelink.pq.pause_file")).map(Path::of);
    private static final long MAX_SLEEP_NANOS = 100_000_000L;

    private final Device device;
    private final Map<Key, PqPskExchange> exchanges;
    private final Map<Key, String> names;
    /** The sites whose traffic passes now: read per packet, replaced whole after every change. */
    private volatile Set<Key> open = Set.of();
    private final Thread thread;
    private volatile boolean running = true;

    private PostQuantumSites(Device device, Map<Key, PqPskExchange> exchanges, Map<Key, String> names) {
        this.device = device;
        this.exchanges = Map.copyOf(exchanges);
        this.names = Map.copyOf(names);
        this.thread = Thread.ofPlatform().name("post-quantum").daemon().unstarted(this::loop);
    }

    /** The exchanges of the site's post-quantum WireGuard sites, attached to the device and started; empty if none. */
    static Optional<PostQuantumSites> attach(Device device, SiteConfig config, Key ourPublicKey) {
        Map<Key, PqPskExchange> m = new HashMap<>();
        Map<Key, String> names = new HashMap<>();
        SecureRandom random = new SecureRandom();
        for (RemoteSite r : config.remoteSites()) {
            if (r.postQuantum()) {
                m.put(r.publicKey(), new PqPskExchange(ourPublicKey, r.publicKey(), r.presharedKey().orElse(Key.zero()),
                        SETTINGS, Clock.SYSTEM, random));
                names.put(r.publicKey(), r.name());
            }
        }
        if (m.isEmpty()) {
            return Optional.empty();
        }
        PostQuantumSites s = new PostQuantumSites(device, m, names);
        device.setControlChannel(s);
        s.thread.start();
        return Optional.of(s);
    }

    private void loop() {
        while (running) {
            long next = Long.MAX_VALUE;
            for (Map.Entry<Key, PqPskExchange> e : exchanges.entrySet()) {
                PqPskExchange x = e.getValue();
                x.observeHandshake(device.lastHandshake(e.getKey()));
                if (!paused()) {
                    carryOut(e.getKey(), x.tick());
                }
                next = Math.min(next, x.nextDeadline());
            }
            refreshOpen();
            LockSupport.parkNanos(Math.max(1_000_000L, Math.min(MAX_SLEEP_NANOS, next - System.nanoTime())));
        }
    }

    private static boolean paused() {
        return PAUSE.isPresent() && Files.exists(PAUSE.get());
    }

    private void carryOut(Key site, List<PqPskExchange.Action> actions) {
        for (PqPskExchange.Action a : actions) {
            switch (a) {
                case PqPskExchange.Action.Send s -> device.sendControl(site, ControlPacket.wrap(s.message()));
                case PqPskExchange.Action.Install i -> {
                    device.setPresharedKeys(site, i.primary(), i.alternate());
                    if (i.handshake()) {
                        device.rehandshake(site);
                    }
                }
            }
        }
        if (!actions.isEmpty()) {
            PqPskExchange.Status st = exchanges.get(site).status();
            LOG.log(Level.DEBUG, "post-quantum key with {0}: epoch {1,number,#}", names.get(site), st.epoch());
        }
    }

    private synchronized void refreshOpen() {
        Set<Key> now = new java.util.HashSet<>();
        exchanges.forEach((k, x) -> {
            if (x.open()) {
                now.add(k);
            }
        });
        Set<Key> was = open;
        if (!now.equals(was)) {
            for (Key k : exchanges.keySet()) {
                if (now.contains(k) && !was.contains(k)) {
                    LOG.log(Level.INFO, "post-quantum preshared key with {0} in force (epoch {1,number,#}): traffic passes",
                            names.get(k), exchanges.get(k).status().epoch());
                } else if (!now.contains(k) && was.contains(k)) {
                    LOG.log(Level.WARNING, "traffic with {0} held back: {1}", names.get(k),
                            exchanges.get(k).status().closed().orElse("no post-quantum key"));
                }
            }
            open = Set.copyOf(now);
        }
    }

    @Override
    public boolean receive(Remote site, byte[] buf, int off, int len) {
        PqPskExchange x = exchanges.get(site.id());
        if (x == null) {
            return false; // not a post-quantum site: the packet goes on, and the source check refuses it
        }
        Optional<byte[]> message = ControlPacket.unwrap(buf, off, len);
        if (message.isEmpty()) {
            return false;
        }
        if (!paused()) {
            carryOut(site.id(), x.receive(message.get()));
            x.observeHandshake(device.lastHandshake(site.id()));
            refreshOpen();
        }
        return true;
    }

    @Override
    public boolean imitates(byte[] buf, int off, int len) {
        return ControlPacket.matches(buf, off, len);
    }

    @Override
    public boolean holds(Key site) {
        return exchanges.containsKey(site) && !open.contains(site);
    }

    @Override
    public Optional<String> holdReason(Key site) {
        PqPskExchange x = exchanges.get(site);
        return x == null || open.contains(site) ? Optional.empty()
                : Optional.of(x.status().closed().orElse("waiting for the next post-quantum key exchange"));
    }

    @Override
    public Optional<String> describe(Key site) {
        PqPskExchange x = exchanges.get(site);
        if (x == null) {
            return Optional.empty();
        }
        PqPskExchange.Status s = x.status();
        return Optional.of("key epoch " + s.epoch() + s.lastExchange().map(t -> ", agreed at " + t).orElse("")
                + " (" + s.exchanges() + " exchanges, " + s.refused() + " messages refused, "
                + (s.initiator() ? "we start them" : "the peer starts them") + ")");
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        device.setControlChannel(ControlChannel.NONE);
    }
}
