package sitelink.wireguard;

import sitelink.tunnel.Drop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.tunnel.Results;

/**
 * Two protocol cores wired back to back through in-memory queues on one fake clock: the whole protocol (handshake,
 * sessions, timers, roaming, cookies) without a socket or a thread.
 */
class WireGuardCoreTest {
    static final InetSocketAddress ADDR_A = new InetSocketAddress(addr("198.18.0.1"), 51820);
    static final InetSocketAddress ADDR_B = new InetSocketAddress(addr("198.18.0.2"), 51821);

    /** One side: its core, what it sent, what it delivered (copied out of the results the core answered into). */
    static final class Side {
        final WireGuardCore core;
        final Key privateKey;
        final ArrayDeque<byte[]> sent = new ArrayDeque<>();
        final List<InetSocketAddress> sentTo = new ArrayList<>();
        /** The local source of each datagram sent (null: the kernel would pick). */
        final List<InetAddress> sentFrom = new ArrayList<>();
        final List<byte[]> delivered = new ArrayList<>();
        /** Reused by every call, as a device thread reuses its own. */
        final Results results = new Results(65536 + 64);

        private static final java.util.concurrent.atomic.AtomicLong SIDES = new java.util.concurrent.atomic.AtomicLong();

        Side(FakeClock clock, long seed) {
            SecureRandom rnd;
            try {
                rnd = SecureRandom.getInstance("SHA1PRNG");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
            rnd.setSeed(seed);
            // and a number of its own: otherwise every test's sides would agree on the same session keys, and a
            // thread's cipher would see the previous test's last key and nonce again (the JDK refuses that seal)
            rnd.setSeed(SIDES.incrementAndGet());
            privateKey = X25519.generatePrivate(rnd);
            core = new WireGuardCore(clock, rnd);
            core.setPrivateKey(privateKey);
        }

        Key publicKey() {
            return core.publicKey().orElseThrow();
        }

        /** Records what the last call yielded; returns its drop reason (null: none). */
        Drop take(Results r) {
            for (int i = 0; i < r.sends(); i++) {
                sent.add(Arrays.copyOfRange(r.sendBuffer(i), r.sendOffset(i), r.sendOffset(i) + r.sendLength(i)));
                sentTo.add(r.sendTo(i));
                sentFrom.add(r.sendFrom(i));
            }
            for (int i = 0; i < r.delivers(); i++) {
                delivered.add(Arrays.copyOfRange(r.deliverBuffer(i), r.deliverOffset(i),
                        r.deliverOffset(i) + r.deliverLength(i)));
            }
            return r.dropped();
        }

        void send(Peer p, byte[] packet) {
            core.send(p, packet, 0, packet.length, results.clear());
            take(results);
        }

        Drop receive(InetSocketAddress source, byte[] d, int len) {
            return receive(source, null, d, len);
        }

        Drop receive(InetSocketAddress source, InetAddress local, byte[] d, int len) {
            core.receive(source, local, d, len, results.clear());
            return take(results);
        }

        long tick() {
            long next = core.tick(results.clear());
            take(results);
            return next;
        }

        void setPersistentKeepalive(Peer p, int seconds) {
            core.setPersistentKeepalive(p, seconds, results.clear());
            take(results);
        }
    }

    final FakeClock clock = new FakeClock();
    final Side a = new Side(clock, 1);
    final Side b = new Side(clock, 2);
    final Peer bAtA = a.core.addPeer(b.publicKey()).orElseThrow();
    final Peer aAtB = b.core.addPeer(a.publicKey()).orElseThrow();

    WireGuardCoreTest() {
        a.core.setEndpoint(bAtA, ADDR_B);
    }

    /** Moves every queued datagram to the other side until both are quiet; returns how many moved. */
    int pump() {
        return pump(ADDR_A);
    }

    int pump(InetSocketAddress aSource) {
        int moved = 0;
        while (!a.sent.isEmpty() || !b.sent.isEmpty()) {
            while (!a.sent.isEmpty()) {
                byte[] d = a.sent.poll();
                b.receive(aSource, d, d.length);
                moved++;
            }
            while (!b.sent.isEmpty()) {
                byte[] d = b.sent.poll();
                a.receive(ADDR_B, d, d.length);
                moved++;
            }
        }
        return moved;
    }

    static byte[] packet(int size, int seed) {
        byte[] p = new byte[size];
        new Random(seed).nextBytes(p);
        return p;
    }

    /** The device's question for every handshake message: configured endpoints at once, learned ones within a second. */
    @Test
    void peerEndpointAddressesAreKnownAtOnceWhenSetAndWithinASecondWhenLearned() {
        assertTrue(a.core.isPeerEndpointAddress(ADDR_B.getAddress()));
        assertFalse(a.core.isPeerEndpointAddress(ADDR_A.getAddress()));
        assertFalse(b.core.isPeerEndpointAddress(ADDR_A.getAddress()), "B has not heard from A yet");
        a.send(bAtA, packet(64, 1));
        pump();
        assertEquals(ADDR_A, aAtB.endpoint().orElseThrow(), "B learned A's endpoint from the handshake");
        clock.advance(java.time.Duration.ofSeconds(1));
        assertTrue(b.core.isPeerEndpointAddress(ADDR_A.getAddress()), "a learned endpoint counts within a second");
        InetSocketAddress moved = new InetSocketAddress("198.51.100.7", 51820);
        a.core.setEndpoint(bAtA, moved);
        assertTrue(a.core.isPeerEndpointAddress(moved.getAddress()), "a configured endpoint counts at once");
        assertFalse(a.core.isPeerEndpointAddress(ADDR_B.getAddress()), "the old one no longer");
        a.core.removePeer(b.publicKey());
        assertFalse(a.core.isPeerEndpointAddress(moved.getAddress()), "nor a removed peer's");
    }

    @Test
    void firstPacketTriggersHandshakeAndArrivesAfterIt() {
        byte[] p = packet(100, 1);
        a.send(bAtA, p);
        assertEquals(1, a.sent.size(), "an initiation, the packet is staged");
        pump();
        assertEquals(1, b.delivered.size());
        assertArrayEquals(p, Arrays.copyOf(b.delivered.get(0), 100));
        assertEquals(0, b.delivered.get(0).length % 16, "padded to 16 bytes");
        assertTrue(bAtA.lastHandshake().isPresent());
        assertTrue(aAtB.lastHandshake().isPresent(), "responder confirms the session on the first data packet");
        assertEquals(ADDR_A, aAtB.endpoint().orElseThrow(), "responder learned the endpoint");
    }

    @Test
    void dataFlowsBothWaysOnOneSession() {
        a.send(bAtA, packet(64, 1));
        pump();
        for (int i = 0; i < 50; i++) {
            a.send(bAtA, packet(1400, i));
            b.send(aAtB, packet(1400, 100 + i));
        }
        pump();
        assertEquals(51, b.delivered.size());
        assertEquals(50, a.delivered.size());
        assertArrayEquals(packet(1400, 149), Arrays.copyOf(a.delivered.get(49), 1400));
    }

    @Test
    void replayedTransportMessageIsDroppedAndCounted() {
        a.send(bAtA, packet(64, 1));
        pump();
        a.send(bAtA, packet(64, 2));
        byte[] d = a.sent.peek().clone();
        pump();
        b.receive(ADDR_A, d, d.length);
        assertEquals(2, b.delivered.size());
        assertEquals(1, b.core.drops(Drop.REPLAY));
    }

    @Test
    void garbageIsDroppedAndCountedByReason() {
        a.send(bAtA, packet(64, 1));
        pump();
        Random r = new Random(7);
        for (int len : new int[] {0, 1, 3, 4, 31, 32, 91, 92, 93, 147, 148, 149, 1500, 65000}) {
            byte[] d = new byte[len];
            r.nextBytes(d);
            b.receive(ADDR_A, d, d.length);
        }
        byte[] forged = new byte[148];
        forged[0] = 1;
        assertEquals(Drop.MAC1_INVALID, b.receive(ADDR_A, forged, forged.length), "the results say why");
        byte[] unknownIndex = new byte[48];
        unknownIndex[0] = 4;
        unknownIndex[4] = 9;
        assertEquals(Drop.UNKNOWN_INDEX, b.receive(ADDR_A, unknownIndex, 48));
        assertTrue(b.core.drops(Drop.INVALID_MESSAGE) >= 13);
        assertEquals(1, b.core.drops(Drop.MAC1_INVALID));
        assertEquals(1, b.core.drops(Drop.UNKNOWN_INDEX));
        a.send(bAtA, packet(64, 3));
        pump();
        assertEquals(2, b.delivered.size(), "the session survives the garbage");
    }

    @Test
    void tamperedTransportFailsDecryption() {
        a.send(bAtA, packet(64, 1));
        pump();
        a.send(bAtA, packet(64, 2));
        byte[] d = a.sent.poll();
        d[40] ^= 1;
        assertEquals(Drop.DECRYPT_FAILED, b.receive(ADDR_A, d, d.length));
        assertEquals(1, b.core.drops(Drop.DECRYPT_FAILED));
        assertEquals(1, b.delivered.size());
    }

    @Test
    void initiatorRekeysAfterRekeyAfterTimeAndOldSessionKeepsWorking() {
        a.send(bAtA, packet(64, 1));
        pump();
        var first = bAtA.current;
        clock.advance(Duration.ofSeconds(121));
        a.send(bAtA, packet(64, 2));
        assertEquals(2, a.sent.size(), "data on the old session, then a new initiation");
        pump();
        assertNotSame(first, bAtA.current, "a new session after the response");
        assertEquals(2, b.delivered.size());
        b.send(aAtB, packet(64, 3));
        pump();
        assertEquals(1, a.delivered.size());
    }

    @Test
    void noSendAfterRejectAfterTimeWithoutNewHandshake() {
        a.send(bAtA, packet(64, 1));
        pump();
        clock.advance(Duration.ofSeconds(181));
        b.send(aAtB, packet(64, 2));
        byte[] msg = b.sent.peek();
        assertEquals(1, msg[0], "the expired session is not used: an initiation goes out instead");
    }

    @Test
    void keepaliveAfterKeepaliveTimeoutWhenOnlyReceiving() {
        a.send(bAtA, packet(64, 1));
        pump();
        clock.advance(Duration.ofSeconds(11));
        b.tick();
        assertEquals(1, b.sent.size(), "B answers A's data with a keepalive");
        assertEquals(32, b.sent.peek().length);
        pump();
        assertEquals(0, a.delivered.size(), "keepalives are not delivered");
    }

    /**
     * Both sides initiate at the same moment and each answers the other's initiation before the answer to its own
     * arrives. Answering theirs must not destroy ours: each answer then completes its initiator's handshake, so both
     * sides have sessions at once and the staged packets cross without waiting REKEY_TIMEOUT for a retry (where
     * wireguard-go loses both handshakes). Nothing is dropped, and above all nothing is counted as a response that
     * "did not authenticate", which status would report as different preshared keys.
     */
    @Test
    void simultaneousInitiationsBothCompleteAtOnce() {
        b.core.setEndpoint(aAtB, ADDR_A);
        a.send(bAtA, packet(64, 1));
        b.send(aAtB, packet(64, 2));
        byte[] initA = a.sent.poll();
        byte[] initB = b.sent.poll();
        b.receive(ADDR_A, initA, initA.length);
        a.receive(ADDR_B, initB, initB.length);
        pump();
        assertEquals(0, a.core.drops(Drop.HANDSHAKE_RESPONSE_INVALID) + b.core.drops(Drop.HANDSHAKE_RESPONSE_INVALID));
        assertEquals(0, a.core.drops(Drop.UNKNOWN_INDEX) + b.core.drops(Drop.UNKNOWN_INDEX));
        assertTrue(bAtA.hasSession() && aAtB.hasSession(), "both sides have a session without a retry");
        assertEquals(1, b.delivered.size(), "A's staged packet arrived");
        assertEquals(1, a.delivered.size(), "B's staged packet arrived");
        // and the sessions keep carrying traffic both ways
        a.send(bAtA, packet(64, 3));
        b.send(aAtB, packet(64, 4));
        pump();
        assertEquals(2, b.delivered.size());
        assertEquals(2, a.delivered.size());
        assertEquals(0, a.core.drops(Drop.UNKNOWN_INDEX) + b.core.drops(Drop.UNKNOWN_INDEX));
        // They settle as one initiator and one responder, as after any handshake...
        assertTrue(bAtA.current.isInitiator() != aAtB.current.isInitiator(),
                "one side's current session is its initiator's, the other's its responder's");

        // ...so that the initiator's rekey loses nothing: its packets sent right behind the new initiation, and the
        // responder's sent before the answer arrives, all land on sessions the other side still has.
        boolean aInitiates = bAtA.current.isInitiator();
        Side x = aInitiates ? a : b, y = aInitiates ? b : a;
        Peer yAtX = aInitiates ? bAtA : aAtB, xAtY = aInitiates ? aAtB : bAtA;
        InetSocketAddress fromX = aInitiates ? ADDR_A : ADDR_B, fromY = aInitiates ? ADDR_B : ADDR_A;
        clock.advance(Duration.ofSeconds(121));
        x.send(yAtX, packet(64, 5)); // REKEY_AFTER_TIME: this send also starts a new handshake
        int xBefore = x.delivered.size(), yBefore = y.delivered.size();
        assertEquals(2, x.sent.size(), "the data packet and the new initiation");
        while (!x.sent.isEmpty()) { // the initiation and the data reach y, in the order x sent them
            byte[] d = x.sent.poll();
            y.receive(fromX, d, d.length);
        }
        x.send(yAtX, packet(64, 7)); // x sends on, still on its current session: the answer is on its way
        byte[] more = x.sent.poll();
        y.receive(fromX, more, more.length);
        y.send(xAtY, packet(64, 6)); // y answered (the response is queued) and sends on its current session
        byte[] answer = y.sent.poll();
        while (!y.sent.isEmpty()) { // y's data arrives before y's answer
            byte[] d = y.sent.poll();
            x.receive(fromY, d, d.length);
        }
        x.receive(fromY, answer, answer.length);
        pump();
        assertEquals(yBefore + 2, y.delivered.size(), "x's packets beside and after the initiation arrived");
        assertTrue(x.delivered.size() >= xBefore + 1, "y's packet sent during the rekey arrived");
        assertEquals(0, a.core.drops(Drop.UNKNOWN_INDEX) + b.core.drops(Drop.UNKNOWN_INDEX), "nothing was lost");
    }

    @Test
    void handshakeRetriesAndGivesUpWhenPeerIsSilent() {
        a.send(bAtA, packet(64, 1));
        a.sent.clear();
        int initiations = 1;
        for (int t = 0; t < 260; t++) {
            clock.advance(Duration.ofMillis(500));
            a.tick();
            initiations += a.sent.size();
            a.sent.clear();
        }
        assertTrue(initiations >= 17 && initiations <= 20, "about REKEY_ATTEMPT_TIME / REKEY_TIMEOUT tries: " + initiations);
        assertEquals(1, a.core.drops(Drop.HANDSHAKE_TIMEOUT), "the staged packet is dropped on giving up");
    }

    @Test
    void endpointRoamsToSourceOfAuthenticatedPacket() {
        a.send(bAtA, packet(64, 1));
        pump();
        InetSocketAddress moved = new InetSocketAddress(addr("198.18.0.9"), 40000);
        a.send(bAtA, packet(64, 2));
        pump(moved);
        assertEquals(moved, aAtB.endpoint().orElseThrow());
        b.send(aAtB, packet(64, 3));
        assertEquals(moved, b.sentTo.get(b.sentTo.size() - 1));
    }

    /** Moves A's queued datagrams to B as if they reached B's local address {@code local}, and B's back to A. */
    void pumpReaching(InetAddress local) {
        while (!a.sent.isEmpty() || !b.sent.isEmpty()) {
            while (!a.sent.isEmpty()) {
                byte[] d = a.sent.poll();
                b.receive(ADDR_A, local, d, d.length);
            }
            while (!b.sent.isEmpty()) {
                byte[] d = b.sent.poll();
                a.receive(ADDR_B, d, d.length);
            }
        }
    }

    /**
     * B has two addresses and A reaches the second: B's response, keepalives and data leave from that one (a sticky
     * source), and follow when A reaches the other. Setting the endpoint (as {@code wg set} does) clears it, and so
     * does the address vanishing (the socket reports it): the kernel picks again, the endpoint itself stays.
     */
    @Test
    void repliesLeaveFromTheLocalAddressThePeerReachedUntilTheEndpointIsSetOrTheAddressVanishes() {
        InetAddress second = addr("198.18.0.3");
        InetAddress first = addr("198.18.0.2");
        a.send(bAtA, packet(64, 1));
        b.sent.clear();
        pumpReaching(second);
        assertEquals(1, b.delivered.size());
        assertEquals(Optional.of(second), aAtB.localSource());
        assertTrue(b.sentFrom.stream().allMatch(second::equals), "the response leaves from the address reached: " + b.sentFrom);
        b.send(aAtB, packet(64, 2));
        assertEquals(second, b.sentFrom.getLast(), "and so does data");
        pumpReaching(first);
        a.send(bAtA, packet(64, 3));
        pumpReaching(first);
        b.send(aAtB, packet(64, 4));
        assertEquals(first, b.sentFrom.getLast(), "the source follows the address the peer reaches");

        b.core.setEndpoint(aAtB, ADDR_A);
        b.send(aAtB, packet(64, 5));
        assertEquals(null, b.sentFrom.getLast(), "a set endpoint leaves the source to the kernel");
        pumpReaching(second);
        a.send(bAtA, packet(64, 6));
        pumpReaching(second);
        b.core.forgetLocalSource(first);
        assertEquals(Optional.of(second), aAtB.localSource(), "another address's loss changes nothing");
        b.core.forgetLocalSource(second);
        assertEquals(Optional.empty(), aAtB.localSource());
        assertEquals(ADDR_A, aAtB.endpoint().orElseThrow());
        b.send(aAtB, packet(64, 7));
        assertEquals(null, b.sentFrom.getLast());
    }

    /**
     * The race that lost a packet of netns.sh's first flood ping: the TUN thread finds no session and, before it takes
     * the peer's lock, the handshake thread completes the handshake and sends what was staged. The late packet must
     * leave with the new session at once, not wait in the queue for a handshake that the rate limit (one initiation
     * per REKEY_TIMEOUT) does not start.
     */
    @Test
    void aPacketStagedJustAfterTheHandshakeCompletedStillLeavesAtOnce() throws Exception {
        a.send(bAtA, packet(64, 1)); // staged, initiation queued
        Thread late;
        synchronized (bAtA) { // what the handshake thread holds while it completes the handshake
            late = Thread.ofPlatform().start(() -> a.send(bAtA, packet(64, 2)));
            while (late.getState() != Thread.State.BLOCKED) { // it saw no session and waits for the lock
                Thread.onSpinWait();
            }
            pump();
            assertEquals(1, b.delivered.size(), "the first packet, flushed by the handshake");
        }
        late.join(5000);
        pump();
        assertEquals(2, b.delivered.size(), "the late packet left without waiting for another handshake");
        assertArrayEquals(packet(64, 2), Arrays.copyOf(b.delivered.get(1), 64));
    }

    @Test
    void forgedPacketFromElsewhereDoesNotMoveEndpoint() {
        a.send(bAtA, packet(64, 1));
        pump();
        a.send(bAtA, packet(64, 2));
        byte[] d = a.sent.poll();
        d[20] ^= 1;
        b.receive(new InetSocketAddress(addr("198.18.0.66"), 1), d, d.length);
        assertEquals(ADDR_A, aAtB.endpoint().orElseThrow());
    }

    /** B under load: A's first initiation gets a cookie reply, A takes the cookie and (REKEY_TIMEOUT later) retries. */
    private void cookieExchangeUnderLoad() {
        b.core.setUnderLoadRate(0);
        a.send(bAtA, packet(64, 1));
        byte[] init = a.sent.poll();
        b.receive(ADDR_A, init, init.length);
        assertEquals(1, b.core.drops(Drop.COOKIE_REQUIRED));
        byte[] reply = b.sent.poll();
        assertEquals(3, reply[0], "a cookie reply");
        a.receive(ADDR_B, reply, reply.length);
        clock.advance(Duration.ofSeconds(6));
        a.tick();
    }

    @Test
    void underLoadTheResponderDemandsACookieAndTheHandshakeStillCompletes() {
        cookieExchangeUnderLoad();
        pump();
        assertEquals(1, b.delivered.size(), "the retried initiation carries MAC2 and is accepted");
    }

    @Test
    void underLoadASourceWithAValidCookieGetsFiveHandshakesAtOnceAndNoMore() {
        cookieExchangeUnderLoad();
        byte[] withCookie = a.sent.poll(); // the retry, with mac2
        for (int i = 0; i < 10; i++) { // one source replaying it as fast as it can
            b.receive(ADDR_A, withCookie, withCookie.length);
        }
        assertEquals(5, b.core.drops(Drop.HANDSHAKE_RATE_LIMITED), "refused before any public-key work");
        assertEquals(4, b.core.drops(Drop.HANDSHAKE_REPLAY), "the burst of five: one accepted, four replays (each a DH)");
        clock.advance(Duration.ofMillis(100));
        b.receive(ADDR_A, withCookie, withCookie.length);
        assertEquals(5, b.core.drops(Drop.HANDSHAKE_RATE_LIMITED), "refilled at 20 a second: 100 ms buys one more");
    }

    @Test
    void underLoadASourceWithoutACookieGetsFiveCookieRepliesAtOnceThenTwentyASecond() {
        b.core.setUnderLoadRate(0);
        a.send(bAtA, packet(64, 1));
        byte[] init = a.sent.poll();
        for (int i = 0; i < 100; i++) { // one address flooding without ever answering a cookie reply
            b.receive(ADDR_A, init, init.length);
        }
        assertEquals(5, b.core.drops(Drop.COOKIE_REQUIRED), "the burst of five answered");
        assertEquals(5, b.sent.size(), "five cookie replies sealed and sent, not a hundred");
        assertEquals(95, b.core.drops(Drop.COOKIE_REPLY_RATE_LIMITED), "the rest dropped without a reply");
        clock.advance(Duration.ofMillis(50));
        b.receive(ADDR_A, init, init.length);
        assertEquals(6, b.core.drops(Drop.COOKIE_REQUIRED), "refilled at 20 a second: 50 ms buys one more");
        b.receive(ADDR_B, init, init.length);
        assertEquals(7, b.core.drops(Drop.COOKIE_REQUIRED), "another address has its own share");
    }

    @Test
    void unknownPeerAndWrongKeyAreRefused() {
        Side c = new Side(clock, 3);
        Peer bAtC = c.core.addPeer(b.publicKey()).orElseThrow();
        c.core.setEndpoint(bAtC, ADDR_B);
        c.send(bAtC, packet(64, 1));
        byte[] init = c.sent.poll();
        b.receive(ADDR_A, init, init.length);
        assertEquals(1, b.core.drops(Drop.UNKNOWN_PEER));
        assertTrue(b.sent.isEmpty());
    }

    @Test
    void mismatchedPresharedKeyNeverEstablishes() {
        a.core.setPresharedKey(bAtA, Key.of(packet(32, 5)));
        a.send(bAtA, packet(64, 1));
        pump();
        assertEquals(0, b.delivered.size());
        assertFalse(bAtA.hasSession());
        assertEquals(1, a.core.drops(Drop.HANDSHAKE_RESPONSE_INVALID));
        assertEquals(1, aAtB.stats.unconfirmedResponses(), "B answered once and A never used the answer");
        assertEquals(Optional.of(clock.now()), aAtB.stats.firstUnconfirmedResponse());

        a.core.setPresharedKey(bAtA, Key.of(new byte[32])); // the same again: the next handshake completes
        clock.advance(Duration.ofSeconds(6));
        a.send(bAtA, packet(64, 2));
        pump();
        assertEquals(2, b.delivered.size(), "the packet staged behind the failed handshake, and the new one");
        assertEquals(0, aAtB.stats.unconfirmedResponses(), "a completed handshake confirms the answers");
        assertEquals(Optional.empty(), aAtB.stats.firstUnconfirmedResponse());
    }

    @Test
    void matchingPresharedKeyEstablishes() {
        Key psk = Key.of(packet(32, 5));
        a.core.setPresharedKey(bAtA, psk);
        b.core.setPresharedKey(aAtB, psk);
        a.send(bAtA, packet(64, 1));
        pump();
        assertEquals(1, b.delivered.size());
    }

    @Test
    void persistentKeepaliveSendsEveryInterval() {
        a.send(bAtA, packet(64, 1));
        pump();
        a.setPersistentKeepalive(bAtA, 25);
        pump();
        int keepalives = 0;
        for (int s = 0; s < 100; s++) {
            clock.advance(Duration.ofSeconds(1));
            a.tick();
            keepalives += a.sent.size();
            pump();
        }
        assertTrue(keepalives >= 3 && keepalives <= 5, "about one per 25 s: " + keepalives);
    }

    @Test
    void removingAPeerForgetsItsSessions() {
        a.send(bAtA, packet(64, 1));
        pump();
        b.core.removePeer(a.publicKey());
        a.send(bAtA, packet(64, 2));
        pump();
        assertEquals(1, b.delivered.size());
        assertTrue(b.core.drops(Drop.UNKNOWN_INDEX) >= 1);
        assertSame(null, aAtB.current);
    }

    @Test
    void simultaneousOpenStillEstablishes() {
        b.core.setEndpoint(aAtB, ADDR_A);
        a.send(bAtA, packet(64, 1));
        b.send(aAtB, packet(64, 2));
        byte[] initA = a.sent.poll();
        byte[] initB = b.sent.poll();
        clock.advance(Duration.ofMillis(800));
        b.receive(ADDR_A, initA, initA.length);
        a.receive(ADDR_B, initB, initB.length);
        pump();
        for (int i = 0; i < 400 && (b.delivered.isEmpty() || a.delivered.isEmpty()); i++) {
            clock.advance(Duration.ofMillis(100));
            a.tick();
            b.tick();
            pump();
        }
        assertTrue(bAtA.hasSession() && aAtB.hasSession(), "both sides end up with a session");
        assertEquals(1, b.delivered.size(), "A's staged packet arrived");
        assertEquals(1, a.delivered.size(), "B's staged packet arrived");
    }

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aForgedDatagramFromAPeersAddressDecidesNothingUntilFailuresPersist() {
        a.send(bAtA, packet(40, 3));
        pump();
        assertTrue(bAtA.hasSession());
        byte[] junk = packet(148, 4); // an initiation whose mac1 was not made for A's key: anyone can send one
        junk[0] = 1;
        junk[1] = junk[2] = junk[3] = 0;
        a.receive(ADDR_B, junk, junk.length);
        assertEquals(1, bAtA.stats().drops(Drop.MAC1_INVALID), "counted against the address it came from");
        assertTrue(bAtA.stats().lastFailure().isEmpty(), "one forged datagram does not make the peer's state");

        // A real key mismatch persists: the peer retries every REKEY_TIMEOUT and nothing authenticated arrives.
        clock.advance(Constants.REKEY_TIMEOUT);
        a.receive(ADDR_B, junk, junk.length);
        assertTrue(bAtA.stats().lastFailure().isEmpty(), "two failures are not yet a pattern");
        clock.advance(Constants.REKEY_TIMEOUT);
        a.receive(ADDR_B, junk, junk.length);
        assertEquals(Drop.MAC1_INVALID, bAtA.stats().lastFailure().orElseThrow().reason());

        b.send(aAtB, packet(40, 5)); // authenticated data from the peer ends the run
        pump();
        assertTrue(bAtA.stats().lastFailure().isEmpty(), "something authenticated arrived since");
    }
}
