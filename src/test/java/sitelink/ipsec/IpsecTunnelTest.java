package sitelink.ipsec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import sitelink.esp.EspSa;
import sitelink.ike.IkeConfig;
import sitelink.tunnel.Drop;
import sitelink.tunnel.Environment;
import sitelink.tunnel.Results;
import sitelink.wireguard.FakeClock;

/**
 * Two {@link IpsecTunnel}s wired to each other in memory on a fake clock: IKE brings the site up, ESP carries packets,
 * and the failures a gateway meets (a wrong PSK, both ends initiating at once, a stranger) end as status says.
 */
class IpsecTunnelTest {
    private static final InetAddress A = InetAddress.ofLiteral("198.51.100.1"), B = InetAddress.ofLiteral("198.51.100.2");
    private static final String PSK = "a pre-shared key of at least 32 characters";
    private final FakeClock clock = new FakeClock();

    /** One gateway's tunnel with its one remote site, the other gateway. */
    private IpsecTunnel gateway(InetAddress self, InetAddress peer, String local, String remote, boolean initiate, String psk) {
        return gateway(self, peer, local, remote, initiate, psk, "aes256gcm16-modp2048");
    }

    /** As above with the ESP proposal {@code esp}, whose group (and additional key exchanges) every rekey uses. */
    private IpsecTunnel gateway(InetAddress self, InetAddress peer, String local, String remote, boolean initiate, String psk,
                                String esp) {
        return new IpsecTunnel(List.of(settings(peer, local, remote, initiate, psk, esp)), 1,
                Environment.of(clock, new SecureRandom()), x -> self);
    }

    /** The remote site that is the gateway at {@code peer}: office-b for A, office-a for B. */
    private static IpsecSite.Settings settings(InetAddress peer, String local, String remote, boolean initiate, String psk) {
        return settings(peer, local, remote, initiate, psk, "aes256gcm16-modp2048");
    }

    private static IpsecSite.Settings settings(InetAddress peer, String local, String remote, boolean initiate, String psk,
                                               String esp) {
        return settings(peer, local, remote, initiate, psk, esp, Duration.ofHours(1));
    }

    /** As above with this {@code child_lifetime}. */
    private static IpsecSite.Settings settings(InetAddress peer, String local, String remote, boolean initiate, String psk,
                                               String esp, Duration childLifetime) {
        return new IpsecSite.Settings(peer.equals(B) ? "office-b" : "office-a",
                Optional.of(new InetSocketAddress(peer, 500)), initiate, false, (l, r) -> {
                    try {
                        return new IkeConfig.Builder(l, r).psk(psk.getBytes(StandardCharsets.UTF_8))
                                .ike("aes256gcm16-prfsha256-curve25519").esp(esp)
                                .selectors(List.of(local), List.of(remote)).dpd(Duration.ofSeconds(30))
                                .lifetimes(Duration.ofHours(4), childLifetime).build();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
    }

    /**
     * What one side sent, carried to the other until neither has anything more to say; with {@code natShift}, A is
     * behind a NAT that moves its ports by that much (B sees A's 500 as 500 + natShift).
     */
    private record Wire(IpsecTunnel a, IpsecTunnel b, int natShift) {
        Wire(IpsecTunnel a, IpsecTunnel b) {
            this(a, b, 0);
        }

        void tick() {
            List<Datagram> pending = new ArrayList<>();
            Results r = new Results(2048);
            a.tick(r.clear());
            pending.addAll(Datagram.of(r, A));
            b.tick(r.clear());
            pending.addAll(Datagram.of(r, B));
            carry(pending);
        }

        void carry(List<Datagram> pending) {
            Results r = new Results(70_000);
            for (int round = 0; round < 100 && !pending.isEmpty(); round++) {
                List<Datagram> next = new ArrayList<>();
                for (Datagram d : pending) {
                    IpsecTunnel to = d.from.equals(A) ? b : a;
                    InetAddress at = d.from.equals(A) ? B : A;
                    int socket = d.port == 500 ? IpsecTunnel.IKE_SOCKET : IpsecTunnel.NAT_T_SOCKET;
                    InetSocketAddress source = new InetSocketAddress(d.from, d.from.equals(A) ? d.port + natShift : d.port);
                    if (to.isHandshake(socket, d.bytes, d.bytes.length)) {
                        to.handshake(socket, source, at, d.bytes, d.bytes.length, r.clear());
                    } else {
                        to.open(socket, source, at, d.bytes, d.bytes.length, r.clear());
                    }
                    next.addAll(Datagram.of(r, at));
                }
                pending = next;
            }
        }
    }

    private record Datagram(InetAddress from, int port, byte[] bytes) {
        static List<Datagram> of(Results r, InetAddress from) {
            List<Datagram> out = new ArrayList<>();
            for (int i = 0; i < r.sends(); i++) {
                out.add(new Datagram(from, r.sendSocket(i) == IpsecTunnel.IKE_SOCKET ? 500 : 4500,
                        Arrays.copyOfRange(r.sendBuffer(i), r.sendOffset(i), r.sendOffset(i) + r.sendLength(i))));
            }
            return out;
        }
    }

    private static byte[] packet(String from, String to) {
        byte[] p = new byte[60];
        p[0] = 0x45;
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(InetAddress.ofLiteral(from).getAddress(), 0, p, 12, 4);
        System.arraycopy(InetAddress.ofLiteral(to).getAddress(), 0, p, 16, 4);
        for (int i = 20; i < p.length; i++) {
            p[i] = (byte) i;
        }
        return p;
    }

    /** Seals at {@code from} for its one site, opens at {@code to}: the packet as delivered, or empty with the drop. */
    private static Optional<byte[]> through(IpsecTunnel from, IpsecTunnel to, byte[] packet) {
        Results sealed = new Results(2048);
        from.seal(from.sites().get(0), packet, 0, packet.length, sealed);
        if (sealed.sends() == 0) {
            return Optional.empty();
        }
        byte[] wire = Arrays.copyOfRange(sealed.sendBuffer(0), sealed.sendOffset(0), sealed.sendOffset(0) + sealed.sendLength(0));
        assertEquals(IpsecTunnel.NAT_T_SOCKET, sealed.sendSocket(0), "ESP leaves from 4500");
        assertTrue(!to.isHandshake(IpsecTunnel.NAT_T_SOCKET, wire, wire.length), "ESP is data, not IKE");
        Results opened = new Results(2048);
        to.open(IpsecTunnel.NAT_T_SOCKET, sealed.sendTo(0), null, wire, wire.length, opened);
        if (opened.delivers() == 0) {
            return Optional.empty();
        }
        assertEquals(to.sites().get(0), opened.deliverFrom(0), "delivered as the other gateway's");
        return Optional.of(Arrays.copyOfRange(opened.deliverBuffer(0), opened.deliverOffset(0),
                opened.deliverOffset(0) + opened.deliverLength(0)));
    }

    @Test
    void initiatorAtStartBringsTheSiteUpAndEspCarriesPacketsBothWays() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK);
        byte[] p = packet("198.18.1.10", "198.18.2.10");
        Results before = new Results(2048);
        a.seal(a.sites().get(0), p, 0, p.length, before);
        assertEquals(Drop.NO_CHILD_SA, before.dropped(), "nothing leaves before a CHILD SA is installed");
        assertEquals("WAITING", b.status().get(0).state());

        try (LogCapture capture = new LogCapture()) {
            new Wire(a, b).tick();
            assertTrue(capture.lines.stream().noneMatch(l -> l.contains("narrower")), "mirrored selectors: " + capture.lines);
        }

        IpsecSiteStatus sa = a.status().get(0), sb = b.status().get(0);
        assertEquals("ESTABLISHED", sa.state());
        assertEquals("ESTABLISHED", sb.state());
        assertEquals(sa.spiI(), sb.spiI());
        assertEquals(1, sa.children().size());
        assertEquals(sa.children().get(0).inboundSpi(), sb.children().get(0).outboundSpi());
        assertArrayEquals(p, through(a, b, p).orElseThrow());
        byte[] back = packet("198.18.2.10", "198.18.1.10");
        assertArrayEquals(back, through(b, a, back).orElseThrow());
        assertEquals(1, a.status().get(0).txPackets());
        assertEquals(1, b.status().get(0).rxPackets());
    }

    @Test
    void bothEndsInitiatingAtOnceSettleOnOneIkeSa() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", true, PSK);
        Wire w = new Wire(a, b);
        w.tick(); // both IKE_SA_INITs cross: two IKE SAs come up, the one with the lower initiator SPI is deleted
        w.tick();
        assertOneTunnel(a, b);
    }

    /** Both ends ESTABLISHED with one CHILD SA each, the same one, which carries a packet each way. */
    private static void assertOneTunnel(IpsecTunnel a, IpsecTunnel b) {
        IpsecSiteStatus sa = a.status().get(0), sb = b.status().get(0);
        assertEquals("ESTABLISHED", sa.state());
        assertEquals("ESTABLISHED", sb.state());
        assertEquals(1, sa.children().size(), sa.toString());
        assertEquals(1, sb.children().size(), sb.toString());
        assertEquals(sa.children().get(0).inboundSpi(), sb.children().get(0).outboundSpi());
        assertCarriesBothWays(a, b);
    }

    /** A packet from A's LAN to B's through the tunnel, and one back, arrive unchanged. */
    private static void assertCarriesBothWays(IpsecTunnel a, IpsecTunnel b) {
        byte[] p = packet("198.18.1.10", "198.18.2.10");
        assertArrayEquals(p, through(a, b, p).orElseThrow());
        byte[] back = packet("198.18.2.10", "198.18.1.10");
        assertArrayEquals(back, through(b, a, back).orElseThrow());
    }

    @Test
    void aPeerThatRestartedReplacesItsOldIkeSaAtOnceThroughInitialContact() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", false, PSK);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", true, PSK);
        new Wire(a, b).tick();
        long oldSpi = a.status().get(0).spiI();
        assertEquals(1, a.status().get(0).children().size());

        // B restarts: a new process with no memory of the IKE SA; its first IKE_AUTH says INITIAL_CONTACT
        IpsecTunnel b2 = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", true, PSK);
        new Wire(a, b2).tick();

        IpsecSiteStatus sa = a.status().get(0), sb = b2.status().get(0);
        assertEquals("ESTABLISHED", sa.state());
        assertEquals(sb.spiI(), sa.spiI());
        assertTrue(sa.spiI() != oldSpi, "the new IKE SA is the one shown");
        assertEquals(1, sa.children().size(), "the old IKE SA's CHILD SA went with it, before any liveness check: " + sa);
        assertEquals(sa.children().get(0).inboundSpi(), sb.children().get(0).outboundSpi());
        assertCarriesBothWays(a, b2); // A seals with the new CHILD SA
    }

    /** What {@code t}, the gateway at {@code self}, sends when its timer runs. */
    private static List<Datagram> tick(IpsecTunnel t, InetAddress self) {
        Results r = new Results(2048);
        t.tick(r);
        return Datagram.of(r, self);
    }

    /** Hands {@code d} to {@code to}, the gateway at {@code at}; what it sends in answer. */
    private static List<Datagram> deliver(IpsecTunnel to, InetAddress at, Datagram d) {
        Results r = new Results(70_000);
        int socket = d.port == 500 ? IpsecTunnel.IKE_SOCKET : IpsecTunnel.NAT_T_SOCKET;
        to.handshake(socket, new InetSocketAddress(d.from, d.port), at, d.bytes, d.bytes.length, r);
        return Datagram.of(r, at);
    }

    @Test
    void crossingInitiationsSayNoInitialContactSoNeitherSideDropsTheOthersIkeSa() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", true, PSK);
        Datagram initA = tick(a, A).get(0), initB = tick(b, B).get(0);
        Datagram answerToA = deliver(b, B, initA).get(0), answerToB = deliver(a, A, initB).get(0);
        Datagram authA = deliver(a, A, answerToA).get(0), authB = deliver(b, B, answerToB).get(0);
        // A's IKE SA completes at both ends before B's IKE_AUTH reaches A: had B's said INITIAL_CONTACT, A would drop
        // its own IKE SA, which B keeps
        List<Datagram> rest = new ArrayList<>(deliver(a, A, deliver(b, B, authA).get(0)));
        rest.addAll(deliver(a, A, authB));
        new Wire(a, b).carry(rest);

        assertOneTunnel(a, b);
    }

    @Test
    void aChildSaWhoseRekeysAllFailEndsItsIkeSaAtItsHardLifetimeAndTheSiteComesBackWithFreshKeys() {
        // A rekeys with PFS over MODP 2048 every 10 minutes; B allows ECP 256 only, so it refuses every rekey
        IpsecTunnel a = new IpsecTunnel(List.of(settings(B, "198.18.1.0/24", "198.18.2.0/24", true, PSK,
                "aes256gcm16-modp2048", Duration.ofMinutes(10))), 1, Environment.of(clock, new SecureRandom()), x -> A);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK, "aes256gcm16-ecp256");
        Wire w = new Wire(a, b);
        w.tick();
        long first = a.status().get(0).spiI();
        int firstChild = a.status().get(0).children().get(0).inboundSpi();
        for (int s = 0; s < 11 * 60 + 30; s += 10) { // the rekeys fail; the CHILD SA carries on to 11 minutes
            clock.advance(Duration.ofSeconds(10));
            w.tick();
            byte[] p = packet("198.18.1.10", "198.18.2.10");
            if (s < 10 * 60) {
                assertEquals(firstChild, a.status().get(0).children().get(0).inboundSpi());
                assertArrayEquals(p, through(a, b, p).orElseThrow(), "at " + s + " s");
            }
        }
        IpsecSiteStatus sa = a.status().get(0);
        assertEquals("ESTABLISHED", sa.state(), sa.toString());
        assertTrue(sa.spiI() != first, "a new IKE SA");
        assertEquals(1, sa.children().size(), sa.toString());
        assertTrue(sa.children().get(0).inboundSpi() != firstChild, "with a new CHILD SA");
        assertTrue(sa.lastFailure().orElseThrow().startsWith("LIFETIME_EXPIRED: CHILD SA "), sa.lastFailure().toString());
        assertCarriesBothWays(a, b);
    }

    @Test
    void packetsOutsideTheSelectorsThePeerNarrowedToAreDroppedEitherWay() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK); // A routes all of 198.18.2.0/24 to B
        IpsecTunnel b = gateway(B, A, "198.18.2.0/26", "198.18.1.0/24", false, PSK); // B agrees to its /26 only
        try (LogCapture capture = new LogCapture()) {
            new Wire(a, b).tick();
            assertEquals(1, capture.lines.stream().filter(l -> l.startsWith("office-b: the CHILD SA carries only "
                    + "[198.18.1.0/24] === [198.18.2.0/26], narrower than this site's [198.18.1.0/24] === [198.18.2.0/24]; "
                    + "packets outside it are dropped (outside_selectors)")).count(), capture.lines.toString());
        }
        assertEquals("[198.18.2.0/26]", a.status().get(0).children().get(0).remoteSelectors());
        byte[] inside = packet("198.18.1.10", "198.18.2.10");
        assertArrayEquals(inside, through(a, b, inside).orElseThrow());

        Results sealed = new Results(2048);
        byte[] outside = packet("198.18.1.10", "198.18.2.100");
        a.seal(a.sites().get(0), outside, 0, outside.length, sealed);
        assertEquals(0, sealed.sends(), "not sent under a CHILD SA that does not cover it");
        assertEquals(Drop.OUTSIDE_SELECTORS, sealed.dropped());

        // B's ESP SA itself seals what B's gateway would not send: A opens it, and drops it
        EspSa bSa = b.sites().get(0).installed.get(0).sa();
        byte[] forged = packet("198.18.2.100", "198.18.1.10"), wire = new byte[2048];
        int n = bSa.seal(forged, 0, forged.length, EspSa.NEXT_HEADER_IPV4, wire, 0);
        Results opened = new Results(2048);
        a.open(IpsecTunnel.NAT_T_SOCKET, new InetSocketAddress(B, 4500), null, Arrays.copyOf(wire, n), n, opened);
        assertEquals(0, opened.delivers(), "authentic, but outside what the CHILD SA was agreed for");
        assertEquals(Drop.OUTSIDE_SELECTORS, opened.dropped());
        byte[] allowed = packet("198.18.2.20", "198.18.1.10");
        n = bSa.seal(allowed, 0, allowed.length, EspSa.NEXT_HEADER_IPV4, wire, 0);
        a.open(IpsecTunnel.NAT_T_SOCKET, new InetSocketAddress(B, 4500), null, Arrays.copyOf(wire, n), n, opened.clear());
        assertEquals(1, opened.delivers());
    }

    @Test
    void underLoadAResponderAsksForACookieKeepsNothingForRequestsWithoutAndConnectsAnInitiatorThatEchoesIt() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK);
        b.requireCookiesAbove(0); // as if under a flood

        // IKE_SA_INITs with A's address but nobody behind it to answer: each gets N(COOKIE), none leaves state
        for (int i = 0; i < 50; i++) {
            IpsecTunnel forger = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
            Datagram init = tick(forger, A).get(0);
            List<Datagram> answer = deliver(b, B, init);
            assertEquals(1, answer.size());
            assertTrue(answer.get(0).bytes.length < 80, "N(COOKIE) alone, no KE: " + answer.get(0).bytes.length + " bytes");
        }
        assertEquals(0, b.sites().get(0).sessions.size(), "no half-open IKE SA for a request without a cookie");
        assertEquals(50, b.drops(Drop.COOKIE_REQUIRED));

        // a real initiator sends its request again with the cookie: established, ESP both ways
        new Wire(a, b).tick();
        assertEquals("ESTABLISHED", a.status().get(0).state());
        assertEquals("ESTABLISHED", b.status().get(0).state());
        assertEquals(51, b.drops(Drop.COOKIE_REQUIRED));
        assertCarriesBothWays(a, b);
    }

    @Test
    void behindANatAnIdleSiteGetsANatKeepaliveEveryTwentySecondsABusyOneNone() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK);
        Wire w = new Wire(a, b, 40_000); // A behind a NAT
        w.tick();
        assertEquals("ESTABLISHED", a.status().get(0).state());
        assertTrue(a.sites().get(0).behindNat, "A learned from B's NAT detection that it is behind a NAT");
        assertFalse(b.sites().get(0).behindNat, "B is not");
        List<Long> keepalives = new ArrayList<>();
        for (int second = 1; second <= 60; second++) { // 60 s idle, the timer ticking every second
            clock.advance(Duration.ofSeconds(1));
            Results r = new Results(2048);
            a.tick(r);
            for (int i = 0; i < r.sends(); i++) {
                if (r.sendLength(i) == 1 && r.sendBuffer(i)[r.sendOffset(i)] == (byte) 0xff) {
                    assertEquals(IpsecTunnel.NAT_T_SOCKET, r.sendSocket(i), "from 4500");
                    assertEquals(new InetSocketAddress(B, 4500), r.sendTo(i), "to the peer's 4500");
                    keepalives.add((long) second);
                }
            }
            w.carry(Datagram.of(r, A)); // liveness checks answered; keepalives ignored by B
            b.tick(r.clear());
            w.carry(Datagram.of(r, B));
        }
        assertEquals(List.of(20L, 40L, 60L), keepalives, "one NAT keepalive after each 20 s without ESP");
        for (int second = 1; second <= 60; second++) { // now ESP goes every second: no keepalive
            clock.advance(Duration.ofSeconds(1));
            through(a, b, packet("198.18.1.10", "198.18.2.10")).orElseThrow();
            Results r = new Results(2048);
            a.tick(r);
            for (int i = 0; i < r.sends(); i++) {
                assertTrue(r.sendLength(i) != 1, "no keepalive while ESP flows (second " + second + ")");
            }
        }
        Results r = new Results(2048);
        for (int second = 1; second <= 60; second++) { // B, not behind the NAT, sends none however idle
            clock.advance(Duration.ofSeconds(1));
            b.tick(r.clear());
            for (int i = 0; i < r.sends(); i++) {
                assertTrue(r.sendLength(i) != 1, "B is not behind a NAT: no keepalive");
            }
            w.carry(Datagram.of(r, B));
            a.tick(r.clear());
            w.carry(Datagram.of(r, A));
        }
    }

    @Test
    void aWrongPskLeavesTheSiteDownWithTheReasonAndARetry() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK + " but not the same");
        new Wire(a, b).tick();
        IpsecSiteStatus s = a.status().get(0);
        assertEquals("DOWN", s.state());
        assertTrue(s.lastFailure().orElseThrow().startsWith("AUTHENTICATION_FAILED"), s.lastFailure().toString());
        assertEquals(Optional.of(clock.now().plusSeconds(2)), s.nextAttempt(), "tries again 2 s later");
        clock.advance(Duration.ofSeconds(2));
        Results r = new Results(2048);
        a.tick(r);
        assertEquals(1, r.sends(), "a new IKE_SA_INIT");
        IpsecSiteStatus retrying = a.status().get(0);
        assertEquals("DOWN", retrying.state(), "still DOWN while it tries again, not CONNECTING");
        assertEquals(Optional.of(clock.now()), retrying.nextAttempt(), "trying again now");
        assertTrue(retrying.lastFailure().orElseThrow().startsWith("AUTHENTICATION_FAILED"));
    }

    @Test
    void strangersAndUnknownSpisAreDroppedAndCounted() {
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK);
        byte[] ike = new byte[100];
        ike[17] = 0x20;
        ike[18] = 34;
        ike[19] = 0x08;
        Results r = new Results(2048);
        b.handshake(IpsecTunnel.IKE_SOCKET, new InetSocketAddress("203.0.113.9", 500), B, ike, ike.length, r);
        assertEquals(Drop.UNKNOWN_PEER, r.dropped());
        assertEquals(0, r.sends(), "no answer to a stranger");
        byte[] esp = new byte[64];
        esp[3] = 7;
        b.open(IpsecTunnel.NAT_T_SOCKET, new InetSocketAddress(A, 4500), B, esp, esp.length, r.clear());
        assertEquals(Drop.UNKNOWN_SPI, r.dropped());
        b.open(IpsecTunnel.NAT_T_SOCKET, new InetSocketAddress(A, 4500), B, new byte[] {(byte) 0xff}, 1, r.clear());
        assertEquals(null, r.dropped(), "a NAT keepalive is no drop");
        assertEquals(1, b.drops(Drop.UNKNOWN_PEER));
        assertEquals(1, b.drops(Drop.UNKNOWN_SPI));
    }

    /**
     * A rekey's responder keeps sending on the old CHILD SA until the initiator deletes it: the initiator installs the
     * new one only when the answer arrives, so ESP on the new one any earlier would be lost (one ping in 100/s, seen
     * against charon).
     */
    @Test
    void theRekeyResponderSwitchesOutboundOnlyWhenTheOldChildSaIsDeleted() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK);
        Wire w = new Wire(a, b);
        w.tick();
        int oldOut = b.status().get(0).children().get(0).outboundSpi();
        a.sites().get(0).sequenceLow = a.sites().get(0).outbound[0].sa(); // A's outbound SA runs out of sequence numbers: A rekeys it now
        Results r = new Results(2048);
        a.tick(r);
        List<Datagram> request = Datagram.of(r, A);
        assertEquals(1, request.size(), "A's CREATE_CHILD_SA request");
        Results answer = new Results(2048);
        b.handshake(IpsecTunnel.NAT_T_SOCKET, new InetSocketAddress(A, 4500), B, request.get(0).bytes(), request.get(0).bytes().length, answer);
        IpsecSiteStatus mid = b.status().get(0);
        assertEquals(2, mid.children().size(), "B installed the new CHILD SA");
        assertEquals(oldOut, mid.children().stream().filter(IpsecSiteStatus.Child::outbound).findFirst().orElseThrow().outboundSpi(),
                "but sends on the old one while A has not installed the new one");
        w.carry(Datagram.of(answer, B)); // A installs, deletes the old one; B follows
        IpsecSiteStatus after = b.status().get(0);
        assertEquals(1, after.children().size(), after.toString());
        assertTrue(after.children().get(0).outbound() && after.children().get(0).outboundSpi() != oldOut, after.toString());
        byte[] p = packet("198.18.2.10", "198.18.1.10");
        assertArrayEquals(p, through(b, a, p).orElseThrow());
    }

    /**
     * A reload that changes a site (here its remote subnets) deletes its IKE SA, so the peer knows at once, and brings
     * a new one up with the new selectors; the old site answers nothing more and its keys are gone.
     */
    @Test
    void aReloadReplacesAChangedSiteWithANewIkeSaUnderItsNewSelectors() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK);
        Wire w = new Wire(a, b);
        w.tick();
        IpsecSite old = a.sites().get(0);
        long oldSpi = a.status().get(0).spiI();
        assertEquals("ESTABLISHED", b.status().get(0).state());

        Results r = new Results(2048);
        List<IpsecSite> fresh = a.update(List.of("office-b"), List.of(settings(B, "198.18.1.0/24", "198.18.2.0/26", true, PSK)), r);
        assertEquals(1, fresh.size());
        assertEquals(List.of(fresh.get(0)), a.sites(), "the new site replaced the old one");
        assertEquals(1, r.sends(), "the old IKE SA's Delete");
        w.carry(Datagram.of(r, A));
        assertEquals("WAITING", b.status().get(0).state(), "the peer learned at once that the IKE SA is gone");
        assertEquals(Drop.NO_CHILD_SA, sealAt(a, old), "the old site seals nothing any more");

        clock.advance(Duration.ofMillis(100));
        w.tick(); // the new site initiates at its first tick
        IpsecSiteStatus now = a.status().get(0);
        assertEquals("ESTABLISHED", now.state());
        assertTrue(now.spiI() != oldSpi, "a new IKE SA");
        assertEquals("[198.18.2.0/26]", now.children().get(0).remoteSelectors(), "under the new selectors");
        byte[] p = packet("198.18.1.10", "198.18.2.10");
        assertArrayEquals(p, through(a, b, p).orElseThrow());
    }

    /** A site a reload removed deletes its IKE SA, never initiates again, and a late message for it is dropped. */
    @Test
    void aReloadRemovesASiteForGood() {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", true, PSK);
        Wire w = new Wire(a, b);
        w.tick();
        w.tick();
        Results r = new Results(2048);
        assertEquals(List.of(), b.update(List.of("office-a"), List.of(), r));
        assertEquals(List.of(), b.sites());
        assertEquals(1, r.sends(), "the IKE SA's Delete");
        w.carry(Datagram.of(r, B));
        assertFalse(a.status().get(0).state().equals("ESTABLISHED"), "A saw the Delete");
        for (int i = 0; i < 10; i++) { // A keeps trying; B neither initiates nor answers
            clock.advance(Duration.ofSeconds(10));
            Results ra = new Results(2048);
            a.tick(ra);
            Results rb = new Results(2048);
            b.tick(rb);
            assertEquals(0, rb.sends(), "B says nothing to a removed site");
            w.carry(Datagram.of(ra, A));
        }
        assertTrue(b.drops(Drop.UNKNOWN_PEER) > 0, "A's new IKE_SA_INITs are a stranger's now");
        assertFalse(a.status().get(0).state().equals("ESTABLISHED"));
    }

    /** A site a reload added comes up like one present at start; the sites already there are not touched. */
    @Test
    void aReloadAddsASiteAndLeavesTheOthersAlone() {
        IpsecTunnel a = new IpsecTunnel(List.of(), 1, Environment.of(clock, new SecureRandom()), x -> A);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK);
        Wire w = new Wire(a, b);
        w.tick();
        assertEquals("WAITING", b.status().get(0).state());
        Results r = new Results(2048);
        a.update(List.of(), List.of(settings(B, "198.18.1.0/24", "198.18.2.0/24", true, PSK)), r);
        assertEquals(0, r.sends());
        w.tick();
        assertEquals("ESTABLISHED", a.status().get(0).state());
        long spi = a.status().get(0).spiI();
        b.update(List.of(), List.of(), r.clear()); // nothing changed for B: its SA stays
        assertEquals(0, r.sends());
        w.tick();
        assertEquals(spi, b.status().get(0).spiI());
        byte[] p = packet("198.18.2.10", "198.18.1.10");
        assertArrayEquals(p, through(b, a, p).orElseThrow());
    }

    /**
     * A site whose endpoint name did not resolve is DOWN saying so, initiates to no one, and answers no one: it is not
     * a site without an endpoint (which answers any address). When the name resolves a reload-style update brings it up.
     */
    @Test
    void aSiteWhoseNameDidNotResolveIsDownAndAnswersNoOneUntilItResolves() {
        IpsecSite.Settings named = settings(B, "198.18.1.0/24", "198.18.2.0/24", true, PSK);
        IpsecSite.Settings unresolved = new IpsecSite.Settings(named.name(), Optional.empty(), true, false, named.config(),
                Optional.empty(), Optional.of("endpoint office-b.example:500 does not resolve (no such name)"));
        IpsecTunnel a = new IpsecTunnel(List.of(unresolved), 1, Environment.of(clock, new SecureRandom()), x -> A);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", true, PSK);
        IpsecSiteStatus s = a.status().get(0);
        assertEquals("DOWN", s.state());
        assertEquals(Optional.of("endpoint office-b.example:500 does not resolve (no such name)"), s.lastFailure());
        Results r = new Results(2048);
        a.tick(r);
        assertEquals(0, r.sends(), "no address to initiate to");
        Wire w = new Wire(a, b);
        w.tick(); // B initiates to A: A does not know B's address yet, so B is a stranger
        assertTrue(a.drops(Drop.UNKNOWN_PEER) > 0, "B's IKE_SA_INIT dropped");
        assertEquals("DOWN", a.status().get(0).state());

        a.update(List.of(named.name()), List.of(named), r.clear()); // the name resolves now
        clock.advance(Duration.ofSeconds(1));
        w.tick();
        w.tick();
        assertEquals("ESTABLISHED", a.status().get(0).state());
        byte[] p = packet("198.18.1.10", "198.18.2.10");
        assertArrayEquals(p, through(a, b, p).orElseThrow());
    }

    private static Drop sealAt(IpsecTunnel t, IpsecSite site) {
        byte[] p = packet("198.18.1.10", "198.18.2.10");
        Results r = new Results(2048);
        t.seal(site, p, 0, p.length, r);
        return r.dropped();
    }

    /** ESP with PFS and a hybrid key exchange, as two sitelinks agree by default: each rekey goes on in IKE_FOLLOWUP_KE. */
    private static final String HYBRID_ESP = "aes256gcm16-modp2048-ke1_mlkem768";

    /**
     * The IKE messages in flight between A and B, each direction in order (one path, one socket: 4500), handed over one
     * at a time in an order the test picks; both timers tick after each, as the timer threads would.
     */
    private static final class Flight {
        final IpsecTunnel a, b;
        final java.util.ArrayDeque<Datagram> toA = new java.util.ArrayDeque<>(), toB = new java.util.ArrayDeque<>();

        Flight(IpsecTunnel a, IpsecTunnel b) {
            this.a = a;
            this.b = b;
        }

        /** {@code t}'s outbound CHILD SA runs out of sequence numbers: its timer starts a rekey. */
        void rekey(IpsecTunnel t) {
            t.sites().get(0).sequenceLow = t.sites().get(0).outbound[0].sa();
            tick();
        }

        void tick() {
            Results r = new Results(2048);
            a.tick(r.clear());
            toB.addAll(Datagram.of(r, A));
            b.tick(r.clear());
            toA.addAll(Datagram.of(r, B));
        }

        /** Hands the next message on its way to {@code to} over; what it answers joins the other direction's queue. */
        void deliver(IpsecTunnel to) {
            Datagram d = (to == b ? toB : toA).removeFirst();
            InetAddress at = to == b ? B : A;
            Results r = new Results(70_000);
            to.handshake(d.port == 500 ? IpsecTunnel.IKE_SOCKET : IpsecTunnel.NAT_T_SOCKET, new InetSocketAddress(d.from, d.port), at,
                    d.bytes, d.bytes.length, r);
            (to == b ? toA : toB).addAll(Datagram.of(r, at));
            tick();
        }

        boolean idle() {
            return toA.isEmpty() && toB.isEmpty();
        }

        /**
         * Runs {@code steps}: R and r start a rekey at A and at B, a and b hand the next message to A and to B (none
         * there: the step is skipped, shown as '-'); then hands over what is left, alternately. After each step a packet
         * sealed at either end opens at the other.
         */
        void run(String steps) {
            StringBuilder done = new StringBuilder();
            for (char c : steps.toCharArray()) {
                boolean skip = c == 'a' && toA.isEmpty() || c == 'b' && toB.isEmpty();
                switch (skip ? '-' : c) {
                    case '-' -> { }
                    case 'R' -> rekey(a);
                    case 'r' -> rekey(b);
                    case 'a' -> deliver(a);
                    case 'b' -> deliver(b);
                    default -> throw new IllegalArgumentException(steps);
                }
                done.append(skip ? '-' : c);
                assertBothWays(this, done.toString());
            }
            StringBuilder rest = done;
            while (!idle()) {
                if (!toA.isEmpty()) {
                    deliver(a);
                    rest.append('a');
                    assertBothWays(this, rest.toString());
                }
                if (!toB.isEmpty()) {
                    deliver(b);
                    rest.append('b');
                    assertBothWays(this, rest.toString());
                }
            }
        }
    }

    /** A packet each way opens at the other end (no loss), else the steps so far and both ends' CHILD SAs and drops. */
    private static void assertBothWays(Flight f, String steps) {
        byte[] ab = packet("198.18.1.10", "198.18.2.10"), ba = packet("198.18.2.10", "198.18.1.10");
        boolean toB = through(f.a, f.b, ab).isPresent(), toA = through(f.b, f.a, ba).isPresent();
        assertTrue(toB && toA, "after " + steps + ": " + (toB ? "" : "A->B lost (B's unknown SPI drops: " + f.b.drops(Drop.UNKNOWN_SPI)
                + ") ") + (toA ? "" : "B->A lost (A's unknown SPI drops: " + f.a.drops(Drop.UNKNOWN_SPI) + ") ")
                + "\nA: " + f.a.status().get(0).children() + "\nB: " + f.b.status().get(0).children());
    }

    /** Two gateways with the ESP proposal {@code esp}, the IKE SA and its CHILD SA up. */
    private Flight pair(String esp) {
        IpsecTunnel a = gateway(A, B, "198.18.1.0/24", "198.18.2.0/24", true, PSK, esp);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK, esp);
        new Wire(a, b).tick();
        Flight f = new Flight(a, b);
        assertBothWays(f, "setup");
        return f;
    }

    /**
     * The window of GatewayIkeIT's two lost pings: B's timer rekeys the CHILD SA after B answered A's CREATE_CHILD_SA
     * but before A's IKE_FOLLOWUP_KE came, so neither side sees a collision and both make a new CHILD SA. A installs
     * its own (X) and deletes the old one; B's (Y) A installs answering B's IKE_FOLLOWUP_KE, to use once the old one is
     * gone. The answer to A's Delete arrives before B has read A's IKE_FOLLOWUP_KE answer: had A then sent on Y, B,
     * which installs Y only on reading that answer, would drop it (unknown SPI) for as long as that takes.
     */
    @Test
    void aRekeyThePeerStartsWhileOursAwaitsItsFollowUpLosesNoPacket() {
        Flight f = pair(HYBRID_ESP);
        // R: A's CREATE_CHILD_SA; b: B answers it; r: B's timer falls due for the same CHILD SA (before the fix B sent
        // its own CREATE_CHILD_SA now); a: A reads the answer, sends its IKE_FOLLOWUP_KE (two fragments: the ML-KEM
        // key); b b: B installs X and answers; a: A answers B's CREATE_CHILD_SA; b: B sends its IKE_FOLLOWUP_KE; a: A
        // installs X, sends Delete(old); a: the first fragment; b: B answers the Delete; a: A installs Y and answers;
        // a: A reads the answer to its Delete, while B has yet to read the one that gives it Y
        f.run("Rbrabbabaabaa");
        assertOneChildSa(f, "Rbrabbabaabaa");
    }

    /** Each end holds one CHILD SA, the same one: no redundant SA of a collision is left. */
    private static void assertOneChildSa(Flight f, String steps) {
        List<IpsecSiteStatus.Child> ca = f.a.status().get(0).children(), cb = f.b.status().get(0).children();
        assertTrue(ca.size() == 1 && cb.size() == 1 && ca.get(0).inboundSpi() == cb.get(0).outboundSpi()
                && ca.get(0).outboundSpi() == cb.get(0).inboundSpi(), steps + "\nA: " + ca + "\nB: " + cb);
    }

    /**
     * Rekeys by A, by B and by both at once (with and without IKE_FOLLOWUP_KE), their messages crossing in the orders a
     * seeded shuffle finds: no packet lost at any step.
     */
    @Test
    void noPacketIsLostWhateverOrderTheRekeyMessagesCrossIn() {
        for (long seed = 0; seed < 40; seed++) {
            java.util.Random random = new java.util.Random(seed);
            Flight f = pair(seed % 2 == 0 ? HYBRID_ESP : "aes256gcm16-modp2048");
            StringBuilder steps = new StringBuilder();
            boolean rekeyA = random.nextInt(4) != 0, rekeyB = !rekeyA || random.nextBoolean();
            while (rekeyA || rekeyB || !f.idle()) {
                List<Character> can = new ArrayList<>();
                if (rekeyA) {
                    can.add('R');
                }
                if (rekeyB) {
                    can.add('r');
                }
                if (!f.toA.isEmpty()) {
                    can.add('a');
                }
                if (!f.toB.isEmpty()) {
                    can.add('b');
                }
                char c = can.get(random.nextInt(can.size()));
                rekeyA &= c != 'R';
                rekeyB &= c != 'r';
                steps.append(c);
                switch (c) {
                    case 'R' -> f.rekey(f.a);
                    case 'r' -> f.rekey(f.b);
                    case 'a' -> f.deliver(f.a);
                    default -> f.deliver(f.b);
                }
                assertBothWays(f, "seed " + seed + ": " + steps);
            }
            assertOneChildSa(f, "seed " + seed + ": " + steps);
        }
    }

    /** One gateway's tunnel with a certificate site whose credentials (and CRL file) {@code certs} holds. */
    private IpsecTunnel certGateway(InetAddress self, InetAddress peer, boolean initiate, SiteCertificates certs, String localId,
                                    String remoteId, String local, String remote) {
        IpsecSite.Settings s = certSite(peer.equals(B) ? "office-b" : "office-a", Optional.of(peer), initiate, certs, localId,
                remoteId, local, remote);
        return new IpsecTunnel(List.of(s), 1, Environment.of(clock, new SecureRandom()), x -> self);
    }

    /**
     * A CA, A's certificate for left.example (a year) and B's for right.example ({@code rightValidity}), A's CRL file
     * (empty at first) and both gateways: A only answers, B initiates; all made at the clock's time {@code now}.
     */
    private record CertSites(sitelink.pki.CertificateAuthority.Issued ca, sitelink.pki.CertificateAuthority.Issued left,
                             sitelink.pki.CertificateAuthority.Issued right, java.nio.file.Path crl,
                             SiteCertificates.CrlReader reader, SiteCertificates ofB, IpsecTunnel a, IpsecTunnel b,
                             java.time.Instant now) {
        /** Adds {@code serial} to A's CRL file, revoked at {@link #now}. */
        void revoke(java.math.BigInteger serial) throws java.io.IOException {
            sitelink.pki.PemFiles.replaceCrl(crl, sitelink.pki.CertificateAuthority.revoke(ca.certificate(), ca.privateKey(),
                    Optional.of(reader.read(crl).get(0)), serial, 1, now));
        }
    }

    private CertSites certSites(java.nio.file.Path dir, Duration rightValidity) throws Exception {
        SecureRandom random = new SecureRandom();
        java.time.Instant now = clock.now();
        var ca = sitelink.pki.CertificateAuthority.newCa("Example CA", sitelink.pki.KeyType.ECDSA_P256, Duration.ofDays(3650), now, random);
        var left = sitelink.pki.CertificateAuthority.issue(ca.certificate(), ca.privateKey(), "left.example",
                List.of(sitelink.pki.CertificateAuthority.AltName.parse("dns:left.example")), sitelink.pki.KeyType.ECDSA_P256,
                Duration.ofDays(365), now, random);
        var right = sitelink.pki.CertificateAuthority.issue(ca.certificate(), ca.privateKey(), "right.example",
                List.of(sitelink.pki.CertificateAuthority.AltName.parse("dns:right.example")), sitelink.pki.KeyType.ECDSA_P256,
                rightValidity, now, random);
        java.nio.file.Path crl = dir.resolve("ca.crl");
        sitelink.pki.PemFiles.replaceCrl(crl, sitelink.pki.CertificateAuthority.revoke(ca.certificate(), ca.privateKey(),
                Optional.empty(), null, 0, now));
        SiteCertificates.CrlReader reader = f -> sitelink.pki.PemFiles.read(f).crls();
        SiteCertificates ofA = new SiteCertificates("office-b", new sitelink.ike.IkeCertificates(List.of(left.certificate()),
                left.privateKey(), List.of(ca.certificate()), reader.read(crl)), List.of(crl), reader, clock);
        SiteCertificates ofB = new SiteCertificates("office-a", new sitelink.ike.IkeCertificates(List.of(right.certificate()),
                right.privateKey(), List.of(ca.certificate()), List.of()), List.of(), reader, clock);
        IpsecTunnel a = certGateway(A, B, false, ofA, "left.example", "right.example", "198.18.1.0/24", "198.18.2.0/24");
        IpsecTunnel b = certGateway(B, A, true, ofB, "right.example", "left.example", "198.18.2.0/24", "198.18.1.0/24");
        return new CertSites(ca, left, right, crl, reader, ofB, a, b, now);
    }

    @Test
    void withCertificatesStatusKnowsBothExpiriesAndACrlChangedOnDiskRefusesTheNextSession(@org.junit.jupiter.api.io.TempDir
                                                                                           java.nio.file.Path dir) throws Exception {
        CertSites c = certSites(dir, Duration.ofDays(20));
        IpsecTunnel a = c.a(), b = c.b();
        new Wire(a, b).tick();
        IpsecSiteStatus sa = a.status().get(0);
        assertEquals("ESTABLISHED", sa.state());
        assertEquals(Optional.of(c.left().certificate().getNotAfter().toInstant()), sa.certificateExpires());
        assertEquals(Optional.of(c.right().certificate().getNotAfter().toInstant()), sa.peerCertificateExpires());
        assertEquals(List.of("the peer's certificate expires in 19 days (2025-01-21); the peer's operator must renew it"),
                sa.expiryWarnings(clock.now().plusSeconds(60)));

        // B's certificate revoked in A's CRL file; a minute later B (restarted) connects anew: A reads the CRL and refuses
        c.revoke(c.right().certificate().getSerialNumber());
        clock.advance(Duration.ofMinutes(1));
        IpsecTunnel b2 = certGateway(B, A, true, c.ofB(), "right.example", "left.example", "198.18.2.0/24", "198.18.1.0/24");
        new Wire(a, b2).tick();
        IpsecSiteStatus after = a.status().get(0);
        assertTrue(after.lastFailure().orElseThrow().startsWith("CERTIFICATE_REVOKED: certificate of right.example revoked (serial 0x"
                + c.right().certificate().getSerialNumber().toString(16).toUpperCase()), after.lastFailure().toString());
        assertEquals("DOWN", b2.status().get(0).state());
    }

    @Test
    void aCrlThatNowRevokesThePeersCertificateDeletesTheEstablishedIkeSa(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        CertSites c = certSites(dir, Duration.ofDays(365));
        IpsecTunnel a = c.a(), b = c.b();
        Wire wire = new Wire(a, b);
        wire.tick();
        assertEquals("ESTABLISHED", a.status().get(0).state());
        byte[] p = packet("198.18.2.10", "198.18.1.10");
        try (LogCapture capture = new LogCapture()) {
            List<String> log = capture.lines;
            // another certificate revoked: the CRL is re-read at the timer's next look, the IKE SA stays
            c.revoke(java.math.BigInteger.valueOf(0x77));
            clock.advance(Duration.ofSeconds(31));
            wire.tick();
            assertTrue(log.stream().anyMatch(l -> l.startsWith("office-b: CRL " + c.crl() + " re-read: 1 revoked")), log.toString());
            assertEquals("ESTABLISHED", a.status().get(0).state());
            assertArrayEquals(p, through(b, a, p).orElseThrow(), "ESP still carries");

            // B's certificate revoked: A deletes the IKE SA at its next look, says why, and ESP stops at once
            c.revoke(c.right().certificate().getSerialNumber());
            clock.advance(Duration.ofSeconds(29));
            wire.tick();
            assertEquals("ESTABLISHED", a.status().get(0).state(), "not looked yet");
            clock.advance(Duration.ofSeconds(2));
            wire.tick();
            String serial = "0x" + c.right().certificate().getSerialNumber().toString(16).toUpperCase();
            String deleted = log.stream().filter(l -> l.contains("while the IKE SA was up")).findFirst()
                    .orElseThrow(() -> new AssertionError(log.toString()));
            assertTrue(deleted.startsWith("office-b: CERTIFICATE_REVOKED while the IKE SA was up: certificate of right.example revoked"
                    + " (serial " + serial + ", CRL of Example CA updated 2025-01-01); deleting the IKE SA (SPI "), deleted);
            IpsecSiteStatus after = a.status().get(0);
            assertTrue(after.children().isEmpty(), after.toString());
            assertTrue(after.lastFailure().orElseThrow().startsWith("CERTIFICATE_REVOKED: certificate of right.example revoked (serial "
                    + serial), after.toString());
            assertEquals(Optional.empty(), through(b, a, p), "B's ESP is no longer opened");
            assertTrue(!"ESTABLISHED".equals(a.status().get(0).state()) && !"ESTABLISHED".equals(b.status().get(0).state()),
                    "B took the Delete: " + b.status());

            // B tries again and is refused in IKE_AUTH
            clock.advance(Duration.ofSeconds(3));
            wire.tick();
            assertTrue(!"ESTABLISHED".equals(a.status().get(0).state()), a.status().toString());
            assertTrue(log.stream().anyMatch(l -> l.startsWith("office-b: authentication (IKE_AUTH): CERTIFICATE_REVOKED")), log.toString());
        }
    }

    /** The lines sitelink.ipsec logs from its construction to its close. */
    // ---------------------------------------------------------------- several sites without an endpoint (a hub)

    private static final InetAddress C = InetAddress.ofLiteral("198.51.100.3"), D = InetAddress.ofLiteral("198.51.100.4");

    /** A site with explicit IDs ({@code ours} is ours, {@code theirs} the peer's); no endpoint unless {@code endpoint}. */
    private static IpsecSite.Settings site(String name, Optional<InetAddress> endpoint, String ours, String theirs, String psk,
                                           String local, String remote) {
        return new IpsecSite.Settings(name, endpoint.map(e -> new InetSocketAddress(e, 500)), endpoint.isPresent(), false,
                (l, r) -> {
                    try {
                        return new IkeConfig.Builder(l, r).ids(ours, theirs).psk(psk.getBytes(StandardCharsets.UTF_8))
                                .ike("aes256gcm16-prfsha256-curve25519").esp("aes256gcm16-modp2048")
                                .selectors(List.of(local), List.of(remote)).dpd(Duration.ofSeconds(30))
                                .lifetimes(Duration.ofHours(4), Duration.ofHours(1)).build();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
    }

    /** Gateways by address: what each sends goes to the one at its destination, until no one has more to say. */
    private record Network(java.util.Map<InetAddress, IpsecTunnel> at) {
        void tick() {
            List<Datagram> pending = new ArrayList<>();
            List<InetSocketAddress> to = new ArrayList<>();
            Results r = new Results(2048);
            for (var e : at.entrySet()) {
                e.getValue().tick(r.clear());
                collect(r, e.getKey(), pending, to);
            }
            Results out = new Results(70_000);
            for (int round = 0; round < 100 && !pending.isEmpty(); round++) {
                List<Datagram> next = new ArrayList<>();
                List<InetSocketAddress> nextTo = new ArrayList<>();
                for (int k = 0; k < pending.size(); k++) {
                    Datagram d = pending.get(k);
                    IpsecTunnel t = at.get(to.get(k).getAddress());
                    int socket = d.port == 500 ? IpsecTunnel.IKE_SOCKET : IpsecTunnel.NAT_T_SOCKET;
                    InetSocketAddress source = new InetSocketAddress(d.from, d.port);
                    if (t.isHandshake(socket, d.bytes, d.bytes.length)) {
                        t.handshake(socket, source, to.get(k).getAddress(), d.bytes, d.bytes.length, out.clear());
                    } else {
                        t.open(socket, source, to.get(k).getAddress(), d.bytes, d.bytes.length, out.clear());
                    }
                    collect(out, to.get(k).getAddress(), next, nextTo);
                }
                pending = next;
                to = nextTo;
            }
        }

        private static void collect(Results r, InetAddress from, List<Datagram> pending, List<InetSocketAddress> to) {
            pending.addAll(Datagram.of(r, from));
            for (int i = 0; i < r.sends(); i++) {
                to.add(r.sendTo(i));
            }
        }
    }

    /** Seals at {@code from} for its site {@code site}, opens at {@code to}: the packet as delivered and whose it was. */
    private static Optional<Results> through(IpsecTunnel from, IpsecSite site, IpsecTunnel to, byte[] packet) {
        Results sealed = new Results(2048);
        from.seal(site, packet, 0, packet.length, sealed);
        if (sealed.sends() == 0) {
            return Optional.empty();
        }
        byte[] wire = Arrays.copyOfRange(sealed.sendBuffer(0), sealed.sendOffset(0), sealed.sendOffset(0) + sealed.sendLength(0));
        Results opened = new Results(2048);
        to.open(IpsecTunnel.NAT_T_SOCKET, new InetSocketAddress(A, 4500), null, wire, wire.length, opened);
        return opened.delivers() == 0 ? Optional.empty() : Optional.of(opened);
    }

    /**
     * A hub with two sites without an endpoint: each spoke's ID picks its site at IKE_AUTH (the first site answered
     * both IKE_SA_INITs), which authenticates it with its own key and gives its CHILD SA its own selectors; a spoke
     * whose ID no site expects, or that has another site's key, is refused under the site it claimed.
     */
    @Test
    void theInitiatorsIdPicksItsSiteAmongSitesWithoutAnEndpoint() {
        String pskB = "office-b's pre-shared key, 32 characters or more", pskC = "office-c's pre-shared key, not office-b's one";
        IpsecTunnel hub = new IpsecTunnel(List.of(
                site("office-b", Optional.empty(), "hub.example", "b.example", pskB, "198.18.1.0/24", "198.18.2.0/24"),
                site("office-c", Optional.empty(), "hub.example", "c.example", pskC, "198.18.1.0/24", "198.18.3.0/24")),
                1, Environment.of(clock, new SecureRandom()), x -> A);
        IpsecTunnel b = new IpsecTunnel(List.of(site("hub", Optional.of(A), "b.example", "hub.example", pskB,
                "198.18.2.0/24", "198.18.1.0/24")), 1, Environment.of(clock, new SecureRandom()), x -> B);
        IpsecTunnel c = new IpsecTunnel(List.of(site("hub", Optional.of(A), "c.example", "hub.example", pskC,
                "198.18.3.0/24", "198.18.1.0/24")), 1, Environment.of(clock, new SecureRandom()), x -> C);
        // C's IKE_SA_INIT alone (its IKE_AUTH held back): office-b, which answered it, is not CONNECTING for it
        Results r = new Results(2048);
        c.tick(r);
        Datagram init = Datagram.of(r, C).get(0);
        hub.handshake(IpsecTunnel.IKE_SOCKET, new InetSocketAddress(C, 500), A, init.bytes(), init.bytes().length, r.clear());
        assertEquals(1, r.sends(), "answered");
        assertEquals("WAITING", hub.status().get(0).state(), "a branch not yet named is no session of office-b's");
        assertEquals(Optional.of("b.example"), hub.status().get(0).awaitedId(), "the ID office-b waits for");
        assertEquals(Optional.empty(), c.status().get(0).awaitedId(), "a site with an endpoint waits for no ID");
        clock.advance(Duration.ofMillis(1100)); // C sends its IKE_SA_INIT again, and goes on from the answer
        Network net = new Network(new java.util.LinkedHashMap<>(java.util.Map.of(A, hub, B, b, C, c)));
        net.tick();

        assertEquals("ESTABLISHED", b.status().get(0).state());
        assertEquals("ESTABLISHED", c.status().get(0).state(), c.status().get(0).toString());
        IpsecSiteStatus sb = hub.status().get(0), sc = hub.status().get(1);
        assertEquals("ESTABLISHED", sb.state(), sb.toString());
        assertEquals("ESTABLISHED", sc.state(), sc.toString());
        assertEquals(b.status().get(0).spiI(), sb.spiI(), "office-b's IKE SA is B's");
        assertEquals(c.status().get(0).spiI(), sc.spiI(), "office-c's IKE SA is C's");
        assertTrue(sc.children().get(0).remoteSelectors().contains("198.18.3.0/24"), "office-c's CHILD SA has office-c's "
                + "selectors: " + sc.children().get(0));
        // ESP: the hub's packet for office-c reaches C, C's reaches the hub as office-c's
        byte[] toC = packet("198.18.1.10", "198.18.3.10");
        assertArrayEquals(toC, body(through(hub, hub.sites().get(1), c, toC).orElseThrow()));
        byte[] fromC = packet("198.18.3.10", "198.18.1.10");
        Results atHub = through(c, c.sites().get(0), hub, fromC).orElseThrow();
        assertEquals(hub.sites().get(1), atHub.deliverFrom(0), "delivered as office-c's");
        assertArrayEquals(fromC, body(atHub));

        // a stranger: its ID is no site's; refused, and the sites it did not name are as they were
        IpsecTunnel d = new IpsecTunnel(List.of(site("hub", Optional.of(A), "d.example", "hub.example", pskB,
                "198.18.4.0/24", "198.18.1.0/24")), 1, Environment.of(clock, new SecureRandom()), x -> D);
        // C restarts with office-b's key: its ID names office-c, whose key does not verify it
        IpsecTunnel c2 = new IpsecTunnel(List.of(site("hub", Optional.of(A), "c.example", "hub.example", pskB,
                "198.18.3.0/24", "198.18.1.0/24")), 1, Environment.of(clock, new SecureRandom()), x -> C);
        try (LogCapture capture = new LogCapture()) {
            new Network(new java.util.LinkedHashMap<>(java.util.Map.of(A, hub, D, d))).tick();
            new Network(new java.util.LinkedHashMap<>(java.util.Map.of(A, hub, C, c2))).tick();
            assertTrue(capture.lines.stream().anyMatch(l -> l.startsWith("IKE peer 198.51.100.4 (for one of the sites without "
                    + "an endpoint: office-b, office-c): ") && l.contains("ID_MISMATCH") && l.contains("d.example")
                    && l.contains("office-b: b.example, office-c: c.example")), String.join("\n", capture.lines));
            assertTrue(capture.lines.stream().anyMatch(l -> l.startsWith("office-c: ") && l.contains("AUTHENTICATION_FAILED")),
                    String.join("\n", capture.lines));
        }
        assertEquals("ESTABLISHED", hub.status().get(0).state());
        assertEquals(Optional.of(new InetSocketAddress(B, 500)), hub.sites().get(0).peer, "office-b's peer is still B");
        assertEquals(Optional.empty(), hub.sites().get(0).lastFailure, "the stranger's failure is not office-b's");
        assertTrue(hub.sites().get(1).lastFailure.orElseThrow().startsWith("AUTHENTICATION_FAILED"), "C's key was office-c's failure");
        assertEquals("ESTABLISHED", hub.status().get(1).state(), "C's old IKE SA stays until it is replaced");

        // C comes back from another address (a dynamic one changed) with its key: its ID finds office-c again, whose
        // old IKE SA goes (INITIAL_CONTACT), and office-c's ESP now goes to the new address
        InetAddress moved = InetAddress.ofLiteral("198.51.100.5");
        IpsecTunnel c3 = new IpsecTunnel(List.of(site("hub", Optional.of(A), "c.example", "hub.example", pskC,
                "198.18.3.0/24", "198.18.1.0/24")), 1, Environment.of(clock, new SecureRandom()), x -> moved);
        new Network(new java.util.LinkedHashMap<>(java.util.Map.of(A, hub, moved, c3))).tick();
        IpsecSiteStatus now = hub.status().get(1);
        assertEquals("ESTABLISHED", now.state());
        assertEquals(c3.status().get(0).spiI(), now.spiI(), "office-c's IKE SA is the new one");
        assertEquals(moved, now.peer().orElseThrow().getAddress());
        assertEquals(1, now.children().size(), "the old CHILD SA went with its IKE SA: " + now.children());
        byte[] again = packet("198.18.1.10", "198.18.3.10");
        Results sealed = new Results(2048);
        hub.seal(hub.sites().get(1), again, 0, again.length, sealed);
        assertEquals(moved, sealed.sendTo(0).getAddress(), "ESP to where C is now");
        assertEquals(sb.spiI(), hub.status().get(0).spiI(), "office-b untouched");
    }

    /** A certificate site with explicit IDs ({@code ours} is ours); no endpoint unless {@code endpoint}. */
    private static IpsecSite.Settings certSite(String name, Optional<InetAddress> endpoint, boolean initiate, SiteCertificates certs,
                                               String ours, String theirs, String local, String remote) {
        return new IpsecSite.Settings(name, endpoint.map(e -> new InetSocketAddress(e, 500)), initiate, false,
                (l, r) -> {
                    try {
                        return new IkeConfig.Builder(l, r).certificates(certs.current()).ids(ours, theirs)
                                .ike("aes256gcm16-prfsha256-ecp256").esp("aes256gcm16").selectors(List.of(local), List.of(remote))
                                .build();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, Optional.of(certs));
    }

    /**
     * With certificates the ID that picks the site must also be the one the peer's certificate names: a branch that
     * claims another's ID with its own certificate is refused under the site it claimed, and the others stay up.
     */
    @Test
    void withCertificatesTheIdThatPicksTheSiteIsTheCertificates(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        SecureRandom random = new SecureRandom();
        java.time.Instant now = clock.now();
        var ca = sitelink.pki.CertificateAuthority.newCa("Example CA", sitelink.pki.KeyType.ECDSA_P256, Duration.ofDays(3650), now, random);
        java.util.function.Function<String, sitelink.pki.CertificateAuthority.Issued> issue = n -> {
            try {
                return sitelink.pki.CertificateAuthority.issue(ca.certificate(), ca.privateKey(), n,
                        List.of(sitelink.pki.CertificateAuthority.AltName.parse("dns:" + n)), sitelink.pki.KeyType.ECDSA_P256,
                        Duration.ofDays(365), now, random);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        var hubCert = issue.apply("hub.example");
        var bCert = issue.apply("b.example");
        var cCert = issue.apply("c.example");
        SiteCertificates.CrlReader reader = f -> List.of();
        java.util.function.BiFunction<String, sitelink.pki.CertificateAuthority.Issued, SiteCertificates> certs = (site, own) ->
                new SiteCertificates(site, new sitelink.ike.IkeCertificates(List.of(own.certificate()), own.privateKey(),
                        List.of(ca.certificate()), List.of()), List.of(), reader, clock);
        IpsecTunnel hub = new IpsecTunnel(List.of(
                certSite("office-b", Optional.empty(), false, certs.apply("office-b", hubCert), "hub.example", "b.example",
                        "198.18.1.0/24", "198.18.2.0/24"),
                certSite("office-c", Optional.empty(), false, certs.apply("office-c", hubCert), "hub.example", "c.example",
                        "198.18.1.0/24", "198.18.3.0/24")),
                1, Environment.of(clock, random), x -> A);
        IpsecTunnel b = new IpsecTunnel(List.of(certSite("hub", Optional.of(A), true, certs.apply("hub", bCert), "b.example",
                "hub.example", "198.18.2.0/24", "198.18.1.0/24")), 1, Environment.of(clock, random), x -> B);
        IpsecTunnel c = new IpsecTunnel(List.of(certSite("hub", Optional.of(A), true, certs.apply("hub", cCert), "c.example",
                "hub.example", "198.18.3.0/24", "198.18.1.0/24")), 1, Environment.of(clock, random), x -> C);
        new Network(new java.util.LinkedHashMap<>(java.util.Map.of(A, hub, B, b, C, c))).tick();
        assertEquals("ESTABLISHED", hub.status().get(0).state(), hub.status().get(0).toString());
        assertEquals("ESTABLISHED", hub.status().get(1).state(), hub.status().get(1).toString());
        assertEquals(c.status().get(0).spiI(), hub.status().get(1).spiI());

        // D holds b.example's certificate and claims c.example: office-c's check of that certificate refuses it
        IpsecTunnel d = new IpsecTunnel(List.of(certSite("hub", Optional.of(A), true, certs.apply("hub", bCert), "c.example",
                "hub.example", "198.18.3.0/24", "198.18.1.0/24")), 1, Environment.of(clock, random), x -> D);
        new Network(new java.util.LinkedHashMap<>(java.util.Map.of(A, hub, D, d))).tick();
        assertTrue(hub.sites().get(1).lastFailure.orElseThrow().startsWith("ID_MISMATCH: the peer identifies as c.example, but "
                + "its certificate (CN=b.example) names only"), hub.sites().get(1).lastFailure.toString());
        assertEquals("ESTABLISHED", hub.status().get(1).state(), "C's IKE SA is untouched");
        assertEquals(c.status().get(0).spiI(), hub.status().get(1).spiI());
        assertEquals("ESTABLISHED", hub.status().get(0).state());
    }

    /**
     * A peer that narrows our CHILD SA to one of the site's subnet pairs is asked once for each pair it left out; a
     * pair it refuses is logged as that pair's TS_UNACCEPTABLE while the IKE SA and the first CHILD SA carry on.
     */
    @Test
    void aPairTheFirstChildSaLeftOutIsAskedForOnceAndARefusalIsNamed() {
        IpsecSite.Settings ofB = new IpsecSite.Settings("office-b", Optional.of(new InetSocketAddress(B, 500)), true, false,
                (l, r) -> {
                    try { // office-b's two subnets; B allows only the first
                        return new IkeConfig.Builder(l, r).psk(PSK.getBytes(StandardCharsets.UTF_8))
                                .ike("aes256gcm16-prfsha256-curve25519").esp("aes256gcm16-modp2048")
                                .selectors(List.of("198.18.1.0/24"), List.of("198.18.2.0/24", "198.18.9.0/24"))
                                .dpd(Duration.ofSeconds(30)).lifetimes(Duration.ofHours(4), Duration.ofHours(1)).build();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
        IpsecTunnel a = new IpsecTunnel(List.of(ofB), 1, Environment.of(clock, new SecureRandom()), x -> A);
        IpsecTunnel b = gateway(B, A, "198.18.2.0/24", "198.18.1.0/24", false, PSK);
        try (LogCapture capture = new LogCapture()) {
            Wire w = new Wire(a, b);
            w.tick();
            w.tick();
            String log = String.join("\n", capture.lines);
            assertEquals(1, capture.lines.stream().filter(l -> l.contains("asking the peer for a CHILD SA for")
                    && l.contains("198.18.9.0")).count(), log);
            assertTrue(capture.lines.stream().anyMatch(l -> l.startsWith("office-b: ") && l.contains("TS_UNACCEPTABLE")
                    && l.contains("a CHILD SA for [198.18.1.0/24] === [198.18.9.0/24]")), log);
            assertTrue(capture.lines.stream().anyMatch(l -> l.contains("whole subnet pairs") && l.contains("one per pair"))
                    && capture.lines.stream().noneMatch(l -> l.contains("narrower")), "a whole pair is no narrowing to warn of: " + log);
        }
        IpsecSiteStatus sa = a.status().get(0);
        assertEquals("ESTABLISHED", sa.state());
        assertEquals(1, sa.children().size(), sa.toString());
        byte[] p = packet("198.18.1.10", "198.18.2.10");
        assertArrayEquals(p, through(a, b, p).orElseThrow(), "the first pair's CHILD SA carries on");
    }

    /** Dual stack: a CHILD SA with both families' subnets leaves no pair out (none goes from one family to the other). */
    @Test
    void aDualStackChildSaAsksForNothingMore() {
        java.util.function.BiFunction<List<String>, List<String>, IpsecSite.Settings> dual = (local, remote) ->
                new IpsecSite.Settings(local.get(0).startsWith("198.18.1") ? "office-b" : "office-a",
                        Optional.of(new InetSocketAddress(local.get(0).startsWith("198.18.1") ? B : A, 500)),
                        local.get(0).startsWith("198.18.1"), false, (l, r) -> {
                            try {
                                return new IkeConfig.Builder(l, r).psk(PSK.getBytes(StandardCharsets.UTF_8))
                                        .ike("aes256gcm16-prfsha256-curve25519").esp("aes256gcm16").selectors(local, remote).build();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
        IpsecTunnel a = new IpsecTunnel(List.of(dual.apply(List.of("198.18.1.0/24", "2001:db8:1::/64"),
                List.of("198.18.2.0/24", "2001:db8:2::/64"))), 1, Environment.of(clock, new SecureRandom()), x -> A);
        IpsecTunnel b = new IpsecTunnel(List.of(dual.apply(List.of("198.18.2.0/24", "2001:db8:2::/64"),
                List.of("198.18.1.0/24", "2001:db8:1::/64"))), 1, Environment.of(clock, new SecureRandom()), x -> B);
        try (LogCapture capture = new LogCapture()) {
            new Wire(a, b).tick();
            assertTrue(capture.lines.stream().noneMatch(l -> l.contains("asking the peer")), String.join("\n", capture.lines));
        }
        assertEquals("ESTABLISHED", a.status().get(0).state());
        assertEquals(1, a.status().get(0).children().size());
    }

    private static byte[] body(Results r) {
        return Arrays.copyOfRange(r.deliverBuffer(0), r.deliverOffset(0), r.deliverOffset(0) + r.deliverLength(0));
    }

    private static final class LogCapture extends java.util.logging.Handler implements AutoCloseable {
        final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

        LogCapture() {
            java.util.logging.Logger.getLogger("sitelink.ipsec").addHandler(this);
        }

        @Override
        public void publish(java.util.logging.LogRecord r) {
            lines.add(new java.util.logging.SimpleFormatter().formatMessage(r));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            java.util.logging.Logger.getLogger("sitelink.ipsec").removeHandler(this);
        }
    }
}
