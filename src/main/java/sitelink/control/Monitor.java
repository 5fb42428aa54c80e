package sitelink.control;

import sitelink.ipsec.IpsecSiteStatus;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import sitelink.crypto.Key;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;
import sitelink.wireguard.Constants;

/**
 * Derives tunnel events from state transitions: every {@link #PERIOD} it assesses each peer and compares with the
 * previous check. Up when a peer becomes ESTABLISHED, down when it stops being so, rekey-failed when a handshake gave
 * up or a rekey on a live session went unanswered past REKEY_TIMEOUT, certificate-expiring once for each certificate of
 * an IKEv2 site (ours or the peer's) within 30 days of its expiry. Events are logged and handed to the sinks on one
 * separate thread, so a slow collector or hook never delays the next check.
 */
public final class Monitor implements AutoCloseable {
    public static final Duration PERIOD = Duration.ofSeconds(1);
    private static final System.Logger LOG = System.getLogger("sitelink.events");

    /** What the previous check saw of a remote site; its name and whether it is IKEv2, for the event when it is gone. */
    private record Seen(TunnelState state, Instant gaveUp, Instant rekeyReported, String name, boolean ike) {
    }

    private final Supplier<DeviceStatus> status;
    private final List<Consumer<TunnelEvent>> sinks;
    private final Map<Key, Seen> previous = new HashMap<>();
    /** The certificate expiry warnings already sent, as site name and warning subject and expiry: once each. */
    private final java.util.Set<String> expiryWarned = new java.util.HashSet<>();
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform()
            .name("events").daemon().unstarted(r));
    private final Thread checker;

    public Monitor(Supplier<DeviceStatus> status, List<Consumer<TunnelEvent>> sinks) {
        this.status = status;
        this.sinks = List.copyOf(sinks);
        this.checker = Thread.ofPlatform().name("monitor").daemon().unstarted(this::loop);
    }

    public void start() {
        checker.start();
    }

    private void loop() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                deliver(check(status.get()));
                Thread.sleep(PERIOD);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "status check failed: {0}", e.toString());
            }
        }
    }

    /** The events since the previous check. Pure apart from remembering this check; the unit tests drive it. */
    public synchronized List<TunnelEvent> check(DeviceStatus s) {
        List<TunnelEvent> events = new ArrayList<>();
        Map<Key, Seen> next = new HashMap<>();
        for (PeerStatus p : s.peers()) {
            Assessment a = Assessment.of(p, s.at(), s.publicKey());
            Seen was = previous.getOrDefault(p.publicKey(), new Seen(TunnelState.IDLE, null, null, "", false));
            Instant gaveUp = p.lastGaveUp().orElse(null);
            Instant rekeyReported = was.rekeyReported();
            if (a.state() == TunnelState.ESTABLISHED && was.state() != TunnelState.ESTABLISHED) {
                events.add(event(TunnelEvent.Kind.UP, s, p, a));
            } else if (a.state() != TunnelState.ESTABLISHED && was.state() == TunnelState.ESTABLISHED) {
                events.add(event(TunnelEvent.Kind.DOWN, s, p, a));
            }
            if (gaveUp != null && !gaveUp.equals(was.gaveUp()) && previous.containsKey(p.publicKey())) {
                events.add(event(TunnelEvent.Kind.REKEY_FAILED, s, p, new Assessment(a.state(),
                        "handshake gave up after " + Constants.REKEY_ATTEMPT_TIME.toSeconds() + " s without an answer"
                                + Explain.unansweredRemedy(p))));
            }
            Instant unanswered = p.firstUnansweredAttempt().orElse(null);
            if (unanswered != null && p.lastHandshake().isPresent() && !unanswered.equals(rekeyReported)
                    && Duration.between(unanswered, s.at()).compareTo(Constants.REKEY_TIMEOUT.plusSeconds(1)) > 0) {
                rekeyReported = unanswered;
                String why = a.state() == TunnelState.DOWN && !a.reason().isEmpty() ? a.reason()
                        : "rekey sent at " + Assessment.time(unanswered) + " is unanswered" + Explain.unansweredRemedy(p);
                events.add(event(TunnelEvent.Kind.REKEY_FAILED, s, p, new Assessment(a.state(), why)));
            }
            next.put(p.publicKey(), new Seen(a.state(), gaveUp, rekeyReported, p.name(), false));
        }
        for (IpsecSiteStatus i : s.ikeSites()) {
            TunnelState state = ikeState(i);
            Seen was = previous.getOrDefault(i.id(), new Seen(TunnelState.IDLE, null, null, i.name(), true));
            if ((state == TunnelState.ESTABLISHED) != (was.state() == TunnelState.ESTABLISHED)) {
                events.add(new TunnelEvent(state == TunnelState.ESTABLISHED ? TunnelEvent.Kind.UP : TunnelEvent.Kind.DOWN,
                        s.at(), s.site(), s.interfaceName(), i.name(), "", i.peer().map(Explain::endpoint).orElse(""),
                        state, state == TunnelState.ESTABLISHED ? i.keyExchange().filter(k -> k.startsWith("classical")).orElse("")
                        : StatusReport.ikeReason(i, s.at())));
            }
            next.put(i.id(), new Seen(state, null, null, i.name(), true));
            expiring(s, i, true, i.certificateExpires(), events);
            expiring(s, i, false, i.peerCertificateExpires(), events);
        }
        for (Map.Entry<Key, Seen> e : previous.entrySet()) {
            if (!next.containsKey(e.getKey()) && e.getValue().state() == TunnelState.ESTABLISHED) {
                Seen gone = e.getValue();
                events.add(new TunnelEvent(TunnelEvent.Kind.DOWN, s.at(), s.site(), s.interfaceName(),
                        gone.name().isEmpty() ? e.getKey().toBase64() : gone.name(),
                        gone.ike() ? "" : e.getKey().toBase64(), "", TunnelState.DOWN, "the remote site was removed from the site file"));
            }
        }
        previous.clear();
        previous.putAll(next);
        return events;
    }

    /** A certificate-expiring event the first time a certificate is within the warning window (or expired). */
    private void expiring(DeviceStatus s, IpsecSiteStatus i, boolean ours, Optional<Instant> expires, List<TunnelEvent> events) {
        if (expires.isEmpty()) {
            return;
        }
        Optional<String> warning = IpsecSiteStatus.expiryWarning(ours, expires.get(), s.at());
        if (warning.isPresent() && expiryWarned.add(i.name() + "\n" + ours + "\n" + expires.get())) {
            events.add(new TunnelEvent(TunnelEvent.Kind.CERTIFICATE_EXPIRING, s.at(), s.site(), s.interfaceName(), i.name(), "",
                    i.peer().map(Explain::endpoint).orElse(""), ikeState(i), warning.get()));
        }
    }

    /** An IKEv2 site's state in the words of WireGuard tunnels: WAITING (only answers, not contacted) is IDLE. */
    static TunnelState ikeState(IpsecSiteStatus i) {
        return switch (i.state()) {
            case "ESTABLISHED" -> TunnelState.ESTABLISHED;
            case "CONNECTING" -> TunnelState.CONNECTING;
            case "WAITING" -> TunnelState.IDLE;
            default -> TunnelState.DOWN;
        };
    }

    private static TunnelEvent event(TunnelEvent.Kind kind, DeviceStatus s, PeerStatus p, Assessment a) {
        return new TunnelEvent(kind, s.at(), s.site(), s.interfaceName(),
                p.name().isEmpty() ? p.publicKey().toBase64() : p.name(), p.publicKey().toBase64(),
                p.endpoint().map(Explain::endpoint).orElse(""), a.state(), a.reason());
    }

    private void deliver(List<TunnelEvent> events) {
        for (TunnelEvent e : events) {
            LOG.log(e.kind() == TunnelEvent.Kind.UP ? Level.INFO : Level.WARNING, e.message());
            delivery.execute(() -> sinks.forEach(sink -> {
                try {
                    sink.accept(e);
                } catch (RuntimeException ex) {
                    LOG.log(Level.WARNING, "event delivery failed: {0}", ex.toString());
                }
            }));
        }
    }

    /**
     * Stops checking; established tunnels get a down event ("this gateway is stopping"), delivered before this
     * returns (at most a few seconds), so a collector hears about a planned stop too.
     */
    @Override
    public void close() {
        checker.interrupt();
        List<TunnelEvent> last = new ArrayList<>();
        synchronized (this) {
            DeviceStatus s;
            try {
                s = status.get();
            } catch (RuntimeException e) {
                s = null;
            }
            if (s != null) {
                for (PeerStatus p : s.peers()) {
                    Seen was = previous.get(p.publicKey());
                    if (was != null && was.state() == TunnelState.ESTABLISHED) {
                        last.add(event(TunnelEvent.Kind.DOWN, s, p,
                                new Assessment(TunnelState.DOWN, "this gateway is stopping")));
                    }
                }
                for (IpsecSiteStatus i : s.ikeSites()) {
                    Seen was = previous.get(i.id());
                    if (was != null && was.state() == TunnelState.ESTABLISHED) {
                        last.add(new TunnelEvent(TunnelEvent.Kind.DOWN, s.at(), s.site(), s.interfaceName(), i.name(), "",
                                i.peer().map(Explain::endpoint).orElse(""), TunnelState.DOWN, "this gateway is stopping"));
                    }
                }
            }
            previous.clear();
        }
        deliver(last);
        delivery.shutdown();
        try {
            delivery.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
