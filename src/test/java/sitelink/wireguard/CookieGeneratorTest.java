package sitelink.wireguard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;

class CookieGeneratorTest {
    private static final LocalIdentity ALICE = new LocalIdentity(Key.fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    private static final LocalIdentity BOB = new LocalIdentity(Key.fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    private static final InetSocketAddress FROM = new InetSocketAddress("198.51.100.1", 4500);

    private final FakeClock clock = new FakeClock();
    private final CookieGenerator gen = new CookieGenerator(BOB.publicKey(), clock);
    private final CookieChecker checker = new CookieChecker(BOB, new SecureRandom(), clock);

    private byte[] initiation() {
        byte[] msg = new Handshake(ALICE, BOB.publicKey(), new java.security.SecureRandom()).createInitiation(3, clock.now());
        gen.addMacs(msg);
        return msg;
    }

    private static byte[] mac2(byte[] msg) {
        return Arrays.copyOfRange(msg, Messages.INITIATION_MAC2, Messages.INITIATION_MAC2 + 16);
    }

    @Test
    void leavesMac2ZeroWithoutACookie() {
        assertArrayEquals(new byte[16], mac2(initiation()));
    }

    @Test
    void rejectsRepliesBeforeAnyMessageWasSent() {
        byte[] other = new Handshake(ALICE, BOB.publicKey(), new java.security.SecureRandom()).createInitiation(3, clock.now());
        new CookieGenerator(BOB.publicKey(), clock).addMacs(other);
        assertFalse(gen.consumeReply(checker.createReply(other, other.length, FROM)));
    }

    @Test
    void rejectsAReplyBoundToAnotherMac1() {
        byte[] first = initiation();
        byte[] reply = checker.createReply(first, first.length, FROM);
        initiation(); // a newer message: the reply's AAD no longer matches the last mac1 sent
        assertFalse(gen.consumeReply(reply));
    }

    @Test
    void rejectsTamperedOrMalformedReplies() {
        byte[] msg = initiation();
        byte[] reply = checker.createReply(msg, msg.length, FROM);
        byte[] bad = reply.clone();
        bad[40] ^= 1;
        assertFalse(gen.consumeReply(bad));
        assertFalse(gen.consumeReply(Arrays.copyOf(reply, 63)));
        assertTrue(gen.consumeReply(reply));
    }

    @Test
    void stopsUsingTheCookieShortlyBeforeTheResponderForgetsIt() {
        byte[] msg = initiation();
        assertTrue(gen.consumeReply(checker.createReply(msg, msg.length, FROM)));
        clock.advance(Duration.ofSeconds(114));
        assertFalse(Arrays.equals(new byte[16], mac2(initiation())), "114 s: still used");
        clock.advance(Duration.ofSeconds(1));
        assertArrayEquals(new byte[16], mac2(initiation()), "115 s = COOKIE_REFRESH_TIME - latency: dropped");
    }

    @Test
    void refusesMessagesWithoutMacs() {
        assertThrows(IllegalArgumentException.class, () -> gen.addMacs(new byte[64]));
    }
}
