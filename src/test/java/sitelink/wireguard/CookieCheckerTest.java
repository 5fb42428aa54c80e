package sitelink.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;

class CookieCheckerTest {
    private static final LocalIdentity ALICE = new LocalIdentity(Key.fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    private static final LocalIdentity BOB = new LocalIdentity(Key.fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    private static final InetSocketAddress FROM = new InetSocketAddress("192.0.2.7", 51820);

    private final FakeClock clock = new FakeClock();
    private final CookieChecker bobChecks = new CookieChecker(BOB, new SecureRandom(), clock);
    private final CookieGenerator aliceMacs = new CookieGenerator(BOB.publicKey(), clock);

    private byte[] initiation() {
        byte[] msg = new Handshake(ALICE, BOB.publicKey(), new java.security.SecureRandom()).createInitiation(42, clock.now());
        aliceMacs.addMacs(msg);
        return msg;
    }

    @Test
    void acceptsMac1ForOurKeyOnly() {
        byte[] msg = initiation();
        assertTrue(bobChecks.checkMac1(msg, msg.length));
        assertFalse(new CookieChecker(ALICE, new SecureRandom(), clock).checkMac1(msg, msg.length));
        msg[20] ^= 1;
        assertFalse(bobChecks.checkMac1(msg, msg.length));
        assertFalse(bobChecks.checkMac1(new byte[64], 64), "not a handshake message");
    }

    @Test
    void mac1MatchesTheReferenceTranscript() {
        // mac1 of the fixed initiation in reference_handshake.py (see HandshakeTest), computed there with CPython.
        byte[] init = HexFormat.of().parseHex("0100000044332211e3712d851a0e5d79b831c5e34ab22b41a198171de209b8b8faca23a11c62"
                + "48599fd6757471e8fb9413a55a93a6ae8659e1ef9c81510c7b72e6f1bb345038f78627ac28b81505b68e34bb9e2c6a942f2ff"
                + "c7e3a37f14a1058a71d27316341236146e0202ab3e870899af83e2c" + "0".repeat(64));
        aliceMacs.addMacs(init);
        assertEquals("a7f69e29d9224d699a84b910610f3cb9", HexFormat.of().formatHex(init, 116, 132));
        assertTrue(bobChecks.checkMac1(init, init.length));
    }

    @Test
    void cookieReplyRoundTripEnablesMac2() {
        byte[] first = initiation();
        assertFalse(bobChecks.checkMac2(first, first.length, FROM), "no cookie yet");
        byte[] reply = bobChecks.createReply(first, first.length, FROM);
        assertEquals(Constants.MESSAGE_COOKIE_REPLY, Messages.classify(reply, reply.length));
        assertEquals(42, Messages.receiverIndex(reply, 0));
        assertTrue(aliceMacs.consumeReply(reply));

        byte[] second = initiation();
        assertTrue(bobChecks.checkMac1(second, second.length));
        assertTrue(bobChecks.checkMac2(second, second.length, FROM));
        assertFalse(bobChecks.checkMac2(second, second.length, new InetSocketAddress("192.0.2.7", 51821)), "other port");
        assertFalse(bobChecks.checkMac2(second, second.length, new InetSocketAddress("2001:db8::7", 51820)), "other address");
    }

    @Test
    void mac2StopsWorkingWhenTheSecretRotates() {
        byte[] first = initiation();
        assertTrue(aliceMacs.consumeReply(bobChecks.createReply(first, first.length, FROM)));
        clock.advance(Duration.ofSeconds(100));
        byte[] msg = initiation();
        assertTrue(bobChecks.checkMac2(msg, msg.length, FROM), "100 s: secret and cookie still current");

        clock.advance(Duration.ofSeconds(21));
        assertFalse(bobChecks.checkMac2(msg, msg.length, FROM), "121 s: the secret expired");
        // A new reply makes a new secret; the old cookie's mac2 no longer verifies, the new one does.
        byte[] again = initiation();
        byte[] reply = bobChecks.createReply(again, again.length, FROM);
        assertFalse(bobChecks.checkMac2(msg, msg.length, FROM));
        assertTrue(aliceMacs.consumeReply(reply));
        byte[] fresh = initiation();
        assertTrue(bobChecks.checkMac2(fresh, fresh.length, FROM));
    }

    @Test
    void repliesToResponsesToo() {
        Handshake a = new Handshake(ALICE, BOB.publicKey(), new java.security.SecureRandom());
        Handshake b = new Handshake(BOB, ALICE.publicKey(), new java.security.SecureRandom());
        byte[] init = a.createInitiation(1, Instant.parse("2025-01-01T00:00:00Z"));
        assertTrue(b.acceptInitiation(Handshake.openInitiation(BOB, init).orElseThrow(), 0));
        byte[] response = b.createResponse(77, 0).message();
        CookieGenerator bobMacs = new CookieGenerator(ALICE.publicKey(), clock);
        bobMacs.addMacs(response);
        CookieChecker aliceChecks = new CookieChecker(ALICE, new SecureRandom(), clock);
        assertTrue(aliceChecks.checkMac1(response, response.length));
        byte[] reply = aliceChecks.createReply(response, response.length, FROM);
        assertEquals(77, Messages.receiverIndex(reply, 0));
        assertTrue(bobMacs.consumeReply(reply));
    }
}
