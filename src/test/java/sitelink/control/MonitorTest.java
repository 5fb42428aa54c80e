package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import sitelink.device.DeviceStatus;

/** Events from sequences of device states, one check per second as the monitor thread makes them. */
class MonitorTest {
    private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");
    private final AtomicReference<DeviceStatus> current = new AtomicReference<>();
    private final List<TunnelEvent> delivered = new ArrayList<>();
    private final Monitor monitor = new Monitor(current::get, List.of(delivered::add));

    private static Instant at(long s) {
        return T0.plusSeconds(s);
    }

    private List<TunnelEvent> check(long second, PeerFacts f) {
        DeviceStatus s = PeerFacts.device(at(second), f.build());
        current.set(s);
        return monitor.check(s);
    }

    private static List<String> kinds(List<TunnelEvent> events) {
        return events.stream().map(e -> e.kind().word).toList();
    }

    @Test
    void upWhenTheFirstHandshakeCompletesAndOnlyOnce() {
        PeerFacts f = new PeerFacts();
        f.persistentKeepalive = 25;
        assertEquals(List.of(), check(0, f));
        f.unanswered(at(0), at(0), 1);
        assertEquals(List.of(), check(1, f), "CONNECTING is no event");
        f.session(at(1), true);
        f.firstUnansweredAttempt = Optional.empty();
        List<TunnelEvent> up = check(2, f);
        assertEquals(List.of("up"), kinds(up));
        TunnelEvent e = up.get(0);
        assertEquals(new TunnelEvent(TunnelEvent.Kind.UP, at(2), "office-a", "sl-a", "office-b",
                PeerFacts.THEIRS.toBase64(), "198.18.0.2:51820", TunnelState.ESTABLISHED, ""), e);
        assertEquals("tunnel office-a -> office-b (198.18.0.2:51820) is up", e.message());
        assertEquals(List.of(), check(3, f));
        assertEquals(List.of(), check(100, f));
    }

    @Test
    void downWhenThePeerStopsAnsweringAndARekeyFailedBeforeIt() {
        PeerFacts f = new PeerFacts().session(at(0), true);
        assertEquals(List.of("up"), kinds(check(0, f)));
        // The peer stopped at 5 s; data unanswered makes a new handshake at 20 s.
        f.unanswered(at(20), at(20), 1);
        assertEquals(List.of(), check(21, f));
        assertEquals(List.of(), check(26, f), "REKEY_TIMEOUT + 1 s not yet past");
        List<TunnelEvent> rekey = check(27, f);
        assertEquals(List.of("rekey-failed"), kinds(rekey));
        assertEquals(TunnelState.ESTABLISHED, rekey.get(0).state());
        assertTrue(rekey.get(0).reason().startsWith("rekey sent at " + Assessment.time(at(20)) + " is unanswered; check "
                + "that office-b is running"), rekey.get(0).reason());
        f.lastAttempt = Optional.of(at(25));
        f.handshakeAttempts = 2;
        assertEquals(List.of(), check(28, f), "one rekey-failed per unanswered rekey");
        assertEquals(List.of(), check(34, f));
        List<TunnelEvent> down = check(35, f);
        assertEquals(List.of("down"), kinds(down));
        assertEquals(TunnelState.DOWN, down.get(0).state());
        assertTrue(down.get(0).reason().startsWith("handshake attempts unanswered since " + Assessment.time(at(20))),
                down.get(0).reason());
        assertTrue(down.get(0).message().startsWith("tunnel office-a -> office-b (198.18.0.2:51820) is down: handshake "
                + "attempts unanswered"), down.get(0).message());
        assertEquals(List.of(), check(36, f), "down once");

        f.session(at(37), true);
        f.firstUnansweredAttempt = Optional.empty();
        assertEquals(List.of("up"), kinds(check(38, f)), "up again when the peer is back");
    }

    @Test
    void aHandshakeThatGaveUpIsARekeyFailureOnceButNotOnTheFirstCheck() {
        PeerFacts f = new PeerFacts();
        f.lastGaveUp = Optional.of(at(-10));
        assertEquals(List.of(), check(0, f), "a give-up from before the monitor started is old news");
        f.lastGaveUp = Optional.of(at(95));
        f.unanswered(at(96), at(96), 20);
        List<TunnelEvent> e = check(96, f);
        assertEquals(List.of("rekey-failed"), kinds(e));
        assertTrue(e.get(0).reason().startsWith("handshake gave up after 90 s without an answer; check that office-b"),
                e.get(0).reason());
        assertEquals(List.of(), check(97, f));
    }

    @Test
    void aRemovedRemoteSiteThatWasUpIsDown() {
        PeerFacts f = new PeerFacts().session(at(0), false);
        check(0, f);
        DeviceStatus none = PeerFacts.device(at(1));
        current.set(none);
        List<TunnelEvent> e = monitor.check(none);
        assertEquals(List.of("down"), kinds(e));
        assertEquals("the remote site was removed from the site file", e.get(0).reason());
        assertEquals(PeerFacts.THEIRS.toBase64(), e.get(0).publicKey());
        assertEquals("office-b", e.get(0).peer(), "named as it was while it was there");
    }

    /** Fail closed (docs/post-quantum.md): the session is fresh, but the site's traffic is held back. */
    @Test
    void downWhileThePostQuantumKeyIsStaleAndUpWhenItIsAgreedAgain() {
        PeerFacts f = new PeerFacts().session(at(0), true);
        f.postQuantum = Optional.of("key epoch 3, agreed at ...");
        assertEquals(List.of("up"), kinds(check(0, f)));
        f.postQuantumHold = Optional.of("no post-quantum key exchange for 180 s (last at ...): traffic held back until one succeeds");
        List<TunnelEvent> e = check(1, f);
        assertEquals(List.of("down"), kinds(e));
        assertEquals("post-quantum: no post-quantum key exchange for 180 s (last at ...): traffic held back until one "
                + "succeeds", e.get(0).reason());
        assertEquals(List.of(), check(2, f));
        f.postQuantumHold = Optional.empty();
        assertEquals(List.of("up"), kinds(check(3, f)));
    }

    @Test
    void stoppingTheGatewayDeliversDownForEachEstablishedTunnel() {
        PeerFacts up = new PeerFacts().session(at(0), true);
        PeerFacts idle = new PeerFacts();
        idle.publicKey = PeerFacts.key(3);
        idle.name = "office-c";
        DeviceStatus s = PeerFacts.device(at(0), up.build(), idle.build());
        current.set(s);
        monitor.check(s);
        current.set(PeerFacts.device(at(5), up.build(), idle.build()));
        monitor.close();
        assertEquals(1, delivered.size(), delivered.toString());
        TunnelEvent e = delivered.get(0);
        assertEquals(TunnelEvent.Kind.DOWN, e.kind());
        assertEquals("office-b", e.peer());
        assertEquals("this gateway is stopping", e.reason());
        assertEquals(at(5), e.at());
    }

    @Test
    void hookVariablesInTheDocumentedOrder() {
        TunnelEvent e = new TunnelEvent(TunnelEvent.Kind.REKEY_FAILED, at(0), "office-a", "sl-a", "office-b", "KEY",
                "198.18.0.2:51820", TunnelState.ESTABLISHED, "why");
        assertEquals(List.of("SITELINK_EVENT", "SITELINK_TIME", "SITELINK_SITE", "SITELINK_INTERFACE", "SITELINK_PEER",
                "SITELINK_PUBLIC_KEY", "SITELINK_ENDPOINT", "SITELINK_STATE", "SITELINK_REASON"),
                new ArrayList<>(e.variables().keySet()));
        assertEquals("rekey-failed", e.variables().get("SITELINK_EVENT"));
        assertEquals("2025-03-01T12:00:00Z", e.variables().get("SITELINK_TIME"));
    }

    /** A certificate of an IKEv2 site: a certificate-expiring event once it is within 30 days, once per certificate. */
    @Test
    void aCertificateWithinThirtyDaysOfExpiryIsOneEvent() {
        java.util.function.BiFunction<Long, java.time.Instant, List<TunnelEvent>> checkAt = (second, peerExpires) -> {
            sitelink.ipsec.IpsecSiteStatus i = new sitelink.ipsec.IpsecSiteStatus("branch", sitelink.ipsec.IpsecSite.idOf("branch"),
                    "WAITING", Optional.empty(), Optional.empty(), 0, 0, false, Optional.empty(), List.of(), Optional.empty(),
                    Optional.empty(), Optional.empty(), 0, 0, 0, 0, Optional.empty(), Optional.of(T0.plus(java.time.Duration.ofDays(365))),
                    Optional.of(peerExpires));
            DeviceStatus s = new DeviceStatus("sl-a", "office-a", Optional.empty(), 51820, at(second), new java.util.TreeMap<>(),
                    List.of(), List.of(i));
            return monitor.check(s);
        };
        java.time.Instant expires = T0.plus(java.time.Duration.ofDays(30)).plusSeconds(10);
        assertEquals(List.of(), checkAt.apply(0L, expires), "30 days and 10 s away");
        List<TunnelEvent> events = checkAt.apply(11L, expires);
        assertEquals(List.of("certificate-expiring"), kinds(events));
        assertEquals("tunnel office-a -> branch: the peer's certificate expires in 29 days (2025-03-31); the peer's operator"
                + " must renew it", events.get(0).message());
        assertEquals(List.of(), checkAt.apply(12L, expires), "once");
        assertEquals(List.of(), checkAt.apply(86_400L * 10, expires), "still once, days later");
        // the peer came back with a new certificate that also expires soon: told again
        assertEquals(List.of("certificate-expiring"), kinds(checkAt.apply(86_400L * 10 + 1, expires.plusSeconds(86_400 * 5))));
    }

    /** An IKEv2 site a reload removed while it was up: a down event that names it (it has no public key). */
    @Test
    void aRemovedIkeSiteThatWasUpIsDownByName() {
        sitelink.ipsec.IpsecSiteStatus up = new sitelink.ipsec.IpsecSiteStatus("branch", sitelink.ipsec.IpsecSite.idOf("branch"),
                "ESTABLISHED", Optional.empty(), Optional.empty(), 1, 2, false, Optional.of(at(0)), List.of(), Optional.empty(),
                Optional.empty(), Optional.empty(), 0, 0, 0, 0, Optional.empty(), Optional.empty(), Optional.empty());
        assertEquals(List.of("up"), kinds(monitor.check(new DeviceStatus("sl-a", "office-a", Optional.empty(), 51820, at(1),
                new java.util.TreeMap<>(), List.of(), List.of(up)))));
        List<TunnelEvent> e = monitor.check(new DeviceStatus("sl-a", "office-a", Optional.empty(), 51820, at(2),
                new java.util.TreeMap<>(), List.of(), List.of()));
        assertEquals(List.of("down"), kinds(e));
        assertEquals("branch", e.get(0).peer());
        assertEquals("", e.get(0).publicKey());
        assertEquals("tunnel office-a -> branch is down: the remote site was removed from the site file", e.get(0).message());
    }
}
