package sitelink.wireguard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;

class HandshakeTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final long MS = 1_000_000L;
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00.5Z");
    // RFC 7748 section 6.1 key pairs as the two static identities.
    private static final LocalIdentity ALICE = new LocalIdentity(Key.fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    private static final LocalIdentity BOB = new LocalIdentity(Key.fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A peer pair: Alice's handshake for Bob and Bob's for Alice. */
    private final Handshake alice = new Handshake(ALICE, BOB.publicKey(), new java.security.SecureRandom());
    private final Handshake bob = new Handshake(BOB, ALICE.publicKey(), new java.security.SecureRandom());

    private record Session(Keypair initiator, Keypair responder) {
    }

    private Optional<Session> handshake(Instant when, long nowNanos) {
        byte[] init = alice.createInitiation(0x1111, when);
        Initiation opened = Handshake.openInitiation(BOB, init).orElseThrow();
        assertEquals(ALICE.publicKey(), opened.remoteStatic());
        assertTrue(bob.acceptInitiation(opened, nowNanos));
        Handshake.Response response = bob.createResponse(0x2222, nowNanos);
        return alice.consumeResponse(response.message(), nowNanos).map(k -> new Session(k, response.keypair()));
    }

    private static void assertCarriesDataBothWays(Session s) {
        assertDelivers(s.initiator(), s.responder(), "from the initiator");
        assertDelivers(s.responder(), s.initiator(), "and back from the responder, a bit longer");
    }

    private static void assertDelivers(Keypair from, Keypair to, String text) {
        byte[] packet = text.getBytes(StandardCharsets.US_ASCII);
        byte[] wire = new byte[Keypair.messageLength(packet.length)];
        int n = from.encrypt(packet, 0, packet.length, wire, 0);
        byte[] plain = new byte[wire.length];
        int m = to.decrypt(wire, 0, n, plain, 0);
        assertEquals(Keypair.messageLength(packet.length) - Keypair.OVERHEAD, m);
        assertArrayEquals(packet, Arrays.copyOf(plain, packet.length));
    }

    @Test
    void completesWithoutPresharedKeyAndCarriesDataBothWays() {
        Session s = handshake(T0, 0).orElseThrow();
        assertTrue(s.initiator().isInitiator());
        assertFalse(s.responder().isInitiator());
        assertEquals(0x1111, s.initiator().localIndex());
        assertEquals(0x2222, s.initiator().remoteIndex());
        assertEquals(0x2222, s.responder().localIndex());
        assertEquals(0x1111, s.responder().remoteIndex());
        assertCarriesDataBothWays(s);
        assertEquals(0, alice.pendingLocalIndex());
    }

    @Test
    void completesWithPresharedKeyAndCarriesDataBothWays() {
        Key psk = Key.of(new byte[] {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2});
        alice.setPresharedKey(psk);
        bob.setPresharedKey(psk);
        assertCarriesDataBothWays(handshake(T0, 0).orElseThrow());
    }

    @Test
    void responseWithWrongPresharedKeyFailsAndKeepsTheHandshakeInFlight() {
        alice.setPresharedKey(Key.of(new byte[32]));
        byte[] other = new byte[32];
        other[0] = 1;
        bob.setPresharedKey(Key.of(other));
        assertTrue(handshake(T0, 0).isEmpty());
        assertEquals(0x1111, alice.pendingLocalIndex());
    }

    /** The post-quantum key's rotation: a responder still on the old key is accepted through the alternate. */
    @Test
    void responseUnderTheAlternatePresharedKeyCompletesAndCarriesData() {
        Key oldKey = Key.of(filled(1)), newKey = Key.of(filled(2));
        alice.setPresharedKey(newKey);
        alice.setAlternatePresharedKey(oldKey);
        bob.setPresharedKey(oldKey);
        assertCarriesDataBothWays(handshake(T0, 0).orElseThrow());
        bob.setPresharedKey(newKey); // and under the primary, once both moved
        assertCarriesDataBothWays(handshake(T0.plusSeconds(1), 10_000 * MS).orElseThrow());
    }

    @Test
    void responseUnderAThirdPresharedKeyFailsEvenWithAnAlternate() {
        alice.setPresharedKey(Key.of(filled(2)));
        alice.setAlternatePresharedKey(Key.of(filled(1)));
        bob.setPresharedKey(Key.of(filled(3)));
        assertTrue(handshake(T0, 0).isEmpty());
        alice.setAlternatePresharedKey(Key.zero()); // none: the old key alone no longer passes
        bob.setPresharedKey(Key.of(filled(1)));
        assertTrue(handshake(T0.plusSeconds(1), 10_000 * MS).isEmpty());
    }

    private static byte[] filled(int b) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) b);
        return k;
    }

    @Test
    void crossingInitiationsBothCompleteAndEachPairCarriesData() {
        byte[] fromAlice = alice.createInitiation(0x1111, T0);
        byte[] fromBob = bob.createInitiation(0x3333, T0);
        // each answers the other's initiation while its own is in flight
        assertTrue(alice.acceptInitiation(Handshake.openInitiation(ALICE, fromBob).orElseThrow(), 0));
        Handshake.Response aliceAnswers = alice.createResponse(0x4444, 0);
        assertEquals(0x1111, alice.pendingLocalIndex(), "answering Bob kept Alice's own initiation");
        assertTrue(bob.acceptInitiation(Handshake.openInitiation(BOB, fromAlice).orElseThrow(), 0));
        Handshake.Response bobAnswers = bob.createResponse(0x2222, 0);
        // and each answer completes its initiator's handshake
        Keypair aliceInitiated = alice.consumeResponse(bobAnswers.message(), 0).orElseThrow();
        Keypair bobInitiated = bob.consumeResponse(aliceAnswers.message(), 0).orElseThrow();
        assertEquals(0, alice.pendingLocalIndex());
        assertCarriesDataBothWays(new Session(aliceInitiated, bobAnswers.keypair()));
        assertCarriesDataBothWays(new Session(bobInitiated, aliceAnswers.keypair()));
    }

    @Test
    void rejectsReplayedInitiationWithTheSameTimestamp() {
        byte[] init = alice.createInitiation(1, T0);
        assertTrue(bob.acceptInitiation(Handshake.openInitiation(BOB, init).orElseThrow(), 0));
        // Long after the rate limit, the very same message must still be refused.
        assertFalse(bob.acceptInitiation(Handshake.openInitiation(BOB, init).orElseThrow(), 10_000 * MS));
        // And so must a fresh initiation carrying an older timestamp.
        byte[] older = alice.createInitiation(2, T0.minusSeconds(1));
        assertFalse(bob.acceptInitiation(Handshake.openInitiation(BOB, older).orElseThrow(), 20_000 * MS));
    }

    @Test
    void rejectsASecondInitiationWithinTheInitiationRate() {
        assertTrue(bob.acceptInitiation(Handshake.openInitiation(BOB, alice.createInitiation(1, T0)).orElseThrow(), 0));
        byte[] second = alice.createInitiation(2, T0.plusSeconds(1));
        assertFalse(bob.acceptInitiation(Handshake.openInitiation(BOB, second).orElseThrow(), 20 * MS));
        assertTrue(bob.acceptInitiation(Handshake.openInitiation(BOB, second).orElseThrow(), 21 * MS),
                "a rejected flood attempt does not count as accepted");
    }

    @Test
    void initiationForAnotherPublicKeyDoesNotOpen() {
        LocalIdentity carol = new LocalIdentity(X25519.generatePrivate(RANDOM));
        assertTrue(Handshake.openInitiation(carol, alice.createInitiation(1, T0)).isEmpty());
    }

    @Test
    void initiationFromAnotherPeerIsNotAccepted() {
        LocalIdentity carol = new LocalIdentity(X25519.generatePrivate(RANDOM));
        byte[] init = new Handshake(carol, BOB.publicKey(), new java.security.SecureRandom()).createInitiation(1, T0);
        Initiation opened = Handshake.openInitiation(BOB, init).orElseThrow();
        assertEquals(carol.publicKey(), opened.remoteStatic());
        assertFalse(bob.acceptInitiation(opened, 0), "bob's handshake is for alice");
    }

    @Test
    void tamperedInitiationFailsAnywhereInTheEncryptedPart() {
        byte[] init = alice.createInitiation(1, T0);
        for (int i = Messages.INITIATION_EPHEMERAL; i < Messages.INITIATION_MAC1; i++) {
            byte[] bad = init.clone();
            bad[i] ^= 0x04;
            Optional<Initiation> opened = Handshake.openInitiation(BOB, bad);
            assertTrue(opened.isEmpty() || !bob.acceptInitiation(opened.get(), 0), "byte " + i);
        }
        assertTrue(bob.acceptInitiation(Handshake.openInitiation(BOB, init).orElseThrow(), 0));
    }

    @Test
    void tamperedResponseFailsAndLeavesTheHandshakeUsable() {
        byte[] init = alice.createInitiation(7, T0);
        assertTrue(bob.acceptInitiation(Handshake.openInitiation(BOB, init).orElseThrow(), 0));
        byte[] response = bob.createResponse(8, 0).message();
        for (int i : new int[] {Messages.RESPONSE_EPHEMERAL, Messages.RESPONSE_EPHEMERAL + 31, Messages.RESPONSE_EMPTY,
                Messages.RESPONSE_EMPTY + 15, Messages.RESPONSE_RECEIVER, 0}) {
            byte[] bad = response.clone();
            bad[i] ^= 0x01;
            assertTrue(alice.consumeResponse(bad, 0).isEmpty(), "byte " + i);
        }
        assertTrue(alice.consumeResponse(Arrays.copyOf(response, 91), 0).isEmpty());
        assertTrue(alice.consumeResponse(response, 0).isPresent());
        assertTrue(alice.consumeResponse(response, 0).isEmpty(), "a response completes a handshake once");
    }

    @Test
    void responseIsOnlyCreatedAfterAnAcceptedInitiation() {
        assertThrows(IllegalStateException.class, () -> bob.createResponse(1, 0));
    }

    @Test
    void clearForgetsTheHandshakeInFlight() {
        byte[] init = alice.createInitiation(5, T0);
        assertEquals(5, alice.pendingLocalIndex());
        assertTrue(bob.acceptInitiation(Handshake.openInitiation(BOB, init).orElseThrow(), 0));
        byte[] response = bob.createResponse(6, 0).message();
        alice.clear();
        assertEquals(0, alice.pendingLocalIndex());
        assertTrue(alice.consumeResponse(response, 0).isEmpty());
    }

    @Test
    void lowOrderPeerKeyFailsCleanly() {
        Handshake broken = new Handshake(ALICE, Key.zero(), new java.security.SecureRandom());
        assertFalse(broken.isUsable());
        assertThrows(IllegalStateException.class, () -> broken.createInitiation(1, T0));
        Initiation fake = new Initiation(Key.zero(), 1, Key.zero(), Key.zero(), Key.zero(), new byte[28]);
        assertFalse(broken.acceptInitiation(fake, 0));
        assertTrue(broken.consumeResponse(new byte[92], 0).isEmpty());
    }

    /**
     * A fixed-key transcript. No published WireGuard handshake vectors with fixed ephemeral keys were found, so
     * the expected bytes come from src/test/resources/sitelink/wireguard/reference_handshake.py, an independent
     * script on CPython BLAKE2s and OpenSSL X25519/ChaCha20-Poly1305 (see its header for what that proves).
     */
    @Test
    void reproducesTheFixedKeyReferenceTranscript() {
        reproduceTheFixedKeyReferenceTranscript(false);
    }

    /** Ephemeral keys made ahead ({@link Handshake#prepare}, "es" and "se" included) give the same bytes as made at once. */
    @Test
    void reproducesTheFixedKeyReferenceTranscriptWithKeysMadeAhead() {
        reproduceTheFixedKeyReferenceTranscript(true);
    }

    private void reproduceTheFixedKeyReferenceTranscript(boolean ahead) {
        Key psk = Key.of(HEX.parseHex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"));
        alice.setPresharedKey(psk);
        bob.setPresharedKey(psk);
        alice.setEphemeralSource(() -> Key.fromHex("a8abababababababababababababababababababababababababababababab6b"));
        bob.setEphemeralSource(() -> Key.fromHex("c8cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd4d"));
        if (ahead) {
            assertTrue(alice.prepare(0));
            assertTrue(bob.prepare(0));
            assertTrue(alice.hasPrepared(true) && bob.hasPrepared(false));
            // the sources are not asked again: a made-at-once key would be the same here, so make them differ
            alice.setEphemeralSourceKeepingPrepared(() -> {
                throw new AssertionError("the initiation made a key although one was ready");
            });
            bob.setEphemeralSourceKeepingPrepared(() -> {
                throw new AssertionError("the response made a key although one was ready");
            });
        }

        byte[] init = alice.createInitiation(0x11223344, T0);
        assertEquals("0100000044332211e3712d851a0e5d79b831c5e34ab22b41a198171de209b8b8faca23a11c6248599fd6757471e8fb9413"
                + "a55a93a6ae8659e1ef9c81510c7b72e6f1bb345038f78627ac28b81505b68e34bb9e2c6a942f2ffc7e3a37f14a1058a71d27"
                + "316341236146e0202ab3e870899af83e2c" + "0".repeat(64), HEX.formatHex(init));
        assertTrue(bob.acceptInitiation(Handshake.openInitiation(BOB, init).orElseThrow(), 0));
        Handshake.Response response = bob.createResponse(0x55667788, 0);
        assertEquals("020000008877665544332211b5bea823d9c9ff576091c54b7c596c0ae296884f0e150290e88455d7fba6126f39f155db90ef"
                + "de37727bc377ae8131f0" + "0".repeat(64), HEX.formatHex(response.message()));
        Keypair initiator = alice.consumeResponse(response.message(), 0).orElseThrow();

        byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
        byte[] wire = new byte[Keypair.messageLength(hello.length)];
        initiator.encrypt(hello, 0, hello.length, wire, 0);
        assertEquals("0400000088776655000000000000000018fe65842b016e9205d7a98752a0595e0e34ec0030a16d7fc81c663bd13de2c1",
                HEX.formatHex(wire));
        byte[] back = "hi back".getBytes(StandardCharsets.US_ASCII);
        wire = new byte[Keypair.messageLength(back.length)];
        response.keypair().encrypt(back, 0, back.length, wire, 0);
        assertEquals("040000004433221100000000000000007aea41d6cec4877b60c4a926b91b5220c5f0a1e098dc6bb83abbfcc6bc3a0865",
                HEX.formatHex(wire));
    }

    /**
     * Keys made ahead serve one handshake each, are replaced by the timer's call after use, and are destroyed (not
     * replaced) when unused for their lifetime.
     */
    @Test
    void keysMadeAheadServeOneHandshakeAndExpireUnused() {
        long life = 180_000 * MS;
        assertTrue(alice.prepare(0));
        assertTrue(bob.prepare(0));
        assertFalse(alice.prepare(0), "both ready: nothing to make");
        Session s = handshake(T0, 10 * MS).orElseThrow();
        assertCarriesDataBothWays(s);
        assertFalse(alice.hasPrepared(true), "the initiation used Alice's");
        assertTrue(alice.hasPrepared(false), "her responder key is still unused");
        assertFalse(bob.hasPrepared(false), "the response used Bob's");
        assertTrue(alice.maintainPrepared(20 * MS, life), "the timer replaces the used one");
        assertTrue(bob.maintainPrepared(20 * MS, life));
        assertTrue(alice.hasPrepared(true) && bob.hasPrepared(false));
        assertFalse(alice.maintainPrepared(30 * MS, life), "nothing used since: nothing made");

        // a second handshake on the replacements, then a long idle: the keys expire and are not made again
        assertCarriesDataBothWays(handshake(T0.plusSeconds(1), 40 * MS).orElseThrow());
        assertTrue(alice.maintainPrepared(50 * MS, life));
        assertFalse(alice.maintainPrepared(50 * MS + life + 1, life), "expired: destroyed, none made");
        assertFalse(alice.hasPrepared(true) || alice.hasPrepared(false));
        assertFalse(alice.maintainPrepared(60 * MS + 2 * life, life), "and none later while idle");
        assertFalse(alice.hasPrepared(true));
        // without them, a handshake makes its keys at once, as before
        assertCarriesDataBothWays(handshake(T0.plusSeconds(400), 70 * MS + 2 * life).orElseThrow());
    }

    @Test
    void forgetPreparedDestroysTheKeysMadeAhead() {
        assertTrue(alice.prepare(0));
        alice.forgetPrepared();
        assertFalse(alice.hasPrepared(true) || alice.hasPrepared(false));
        assertFalse(alice.maintainPrepared(MS, 180_000 * MS), "a forgotten key is not made again by the timer");
        assertCarriesDataBothWays(handshake(T0, 2 * MS).orElseThrow());
    }
}
