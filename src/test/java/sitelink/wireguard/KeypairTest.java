package sitelink.wireguard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import sitelink.crypto.ChaChaPoly;

class KeypairTest {
    private static byte[] key(int seed) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) seed);
        return k;
    }

    // Fresh keys for every test, as every session has: the JDK refuses to seal twice in a row under one key and nonce
    // on a thread (ChaChaPoly keeps that guard), and each test starts its keypairs at counter 0.
    private final byte[] aToB = freshKey();
    private final byte[] bToA = freshKey();
    private final Keypair a = new Keypair(1, 2, true, 0, aToB.clone(), bToA.clone());
    private final Keypair b = new Keypair(2, 1, false, 0, bToA.clone(), aToB.clone());

    private static byte[] freshKey() {
        byte[] k = new byte[32];
        new java.security.SecureRandom().nextBytes(k);
        return k;
    }

    private static byte[] seal(Keypair k, byte[] packet) {
        byte[] out = new byte[Keypair.messageLength(packet.length)];
        assertEquals(out.length, k.encrypt(packet, 0, packet.length, out, 0));
        return out;
    }

    @Test
    void writesTransportHeaderAndPadsToSixteen() {
        byte[] msg = seal(a, new byte[17]);
        assertEquals(16 + 32 + 16, msg.length);
        assertEquals(Constants.MESSAGE_TRANSPORT, Messages.classify(msg, msg.length));
        assertEquals(2, Messages.receiverIndex(msg, 0));
        assertEquals(0, Messages.counter(msg, 0));
        assertEquals(1, Messages.counter(seal(a, new byte[1]), 0));
        assertEquals(2, a.sendCounter());
        byte[] plain = new byte[msg.length];
        assertEquals(32, b.decrypt(msg, 0, msg.length, plain, 0));
    }

    @Test
    void keepaliveIsAnEmptyThirtyTwoByteMessage() {
        byte[] msg = seal(a, new byte[0]);
        assertEquals(32, msg.length);
        assertEquals(0, b.decrypt(msg, 0, msg.length, new byte[0], 0));
    }

    @Test
    void encryptsAndDecryptsInPlace() {
        byte[] buf = new byte[16 + 32 + 16];
        byte[] packet = "in place, twenty".getBytes();
        System.arraycopy(packet, 0, buf, 16, packet.length);
        int n = a.encrypt(buf, 16, packet.length, buf, 0);
        int m = b.decrypt(buf, 0, n, buf, 16);
        assertEquals(16, m);
        assertArrayEquals(packet, Arrays.copyOfRange(buf, 16, 32));
    }

    @Test
    void rejectsReplayAndAcceptsReordering() {
        byte[] first = seal(a, new byte[4]);
        byte[] second = seal(a, new byte[4]);
        byte[] out = new byte[64];
        assertEquals(16, b.decrypt(second, 0, second.length, out, 0));
        assertEquals(16, b.decrypt(first, 0, first.length, out, 0));
        assertEquals(Keypair.DECRYPT_REPLAY, b.decrypt(first, 0, first.length, out, 0));
    }

    @Test
    void forgeryFailsAuthenticationAndDoesNotMoveTheWindow() {
        byte[] genuine = seal(a, new byte[4]);
        byte[] forged = genuine.clone();
        Messages.putLong(forged, Messages.TRANSPORT_COUNTER, 1_000_000); // a counter far ahead
        byte[] out = new byte[64];
        assertEquals(Keypair.DECRYPT_AUTH_FAILED, b.decrypt(forged, 0, forged.length, out, 0));
        forged = genuine.clone();
        forged[20] ^= 1;
        assertEquals(Keypair.DECRYPT_AUTH_FAILED, b.decrypt(forged, 0, forged.length, out, 0));
        assertEquals(16, b.decrypt(genuine, 0, genuine.length, out, 0), "the genuine counter 0 is still fresh");
    }

    @Test
    void stopsSendingAtRejectAfterMessages() {
        a.setSendCounter(Constants.REJECT_AFTER_MESSAGES - 1);
        byte[] out = new byte[64];
        assertEquals(32, a.encrypt(new byte[0], 0, 0, out, 0));
        assertEquals(-1, a.encrypt(new byte[0], 0, 0, out, 0));
        assertEquals(-1, a.encrypt(new byte[0], 0, 0, out, 0));
        assertEquals(Constants.REJECT_AFTER_MESSAGES, a.sendCounter(), "the counter never wraps");
    }

    @Test
    void refusesReceivedCountersAtTheLimit() {
        a.setSendCounter(Constants.REJECT_AFTER_MESSAGES - 1);
        byte[] last = seal(a, new byte[0]);
        byte[] out = new byte[16];
        assertEquals(0, b.decrypt(last, 0, last.length, out, 0));
        byte[] over = last.clone();
        Messages.putLong(over, Messages.TRANSPORT_COUNTER, Constants.REJECT_AFTER_MESSAGES);
        assertEquals(Keypair.DECRYPT_COUNTER_LIMIT, b.decrypt(over, 0, over.length, out, 0));
    }

    @Test
    void rejectsMessagesForAnotherIndexOrTooShort() {
        byte[] msg = seal(a, new byte[0]);
        assertEquals(Keypair.DECRYPT_MALFORMED, a.decrypt(msg, 0, msg.length, new byte[16], 0), "receiver is b's index");
        assertEquals(Keypair.DECRYPT_MALFORMED, b.decrypt(msg, 0, 31, new byte[16], 0));
    }

    @Test
    void destroyedKeypairNeitherEncryptsNorDecrypts() {
        byte[] msg = seal(a, new byte[0]);
        b.destroy();
        a.destroy();
        assertTrue(a.isDestroyed());
        assertEquals(-1, a.encrypt(new byte[0], 0, 0, new byte[32], 0));
        assertEquals(Keypair.DECRYPT_KEY_DESTROYED, b.decrypt(msg, 0, msg.length, new byte[16], 0));
    }

    @Test
    void aCounterBugThatWouldReuseANonceFailsLoudly() {
        // Two keypairs with the same keys and counters stand for a counter bug: the second seal would reuse the
        // nonce, and must throw rather than send.
        Keypair twin = new Keypair(1, 2, true, 0, aToB.clone(), bToA.clone());
        seal(a, new byte[8]);
        assertThrows(ChaChaPoly.NonceReuseException.class, () -> seal(twin, new byte[8]));
    }

    @Test
    void concurrentSendersNeverReuseACounter() throws InterruptedException {
        int threads = 4;
        int each = 500;
        boolean[] used = new boolean[threads * each];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            ts[t] = new Thread(() -> {
                byte[] out = new byte[32];
                for (int i = 0; i < each; i++) {
                    a.encrypt(new byte[0], 0, 0, out, 0);
                    int c = (int) Messages.counter(out, 0);
                    synchronized (used) {
                        assertTrue(!used[c]);
                        used[c] = true;
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertEquals(threads * each, a.sendCounter());
    }

    @Test
    void noDatagramIsEverSealedUnderAKeyBeingZeroedByAnotherThread() throws InterruptedException {
        // The TUN thread seals without a lock while a handshake, a removed peer or a new private key destroys the
        // keypair on another thread. Every datagram encrypt returns must open under the real key: one sealed under a
        // zeroed or half-zeroed key would expose its plaintext to anyone who can guess that key.
        java.util.Random random = new java.util.Random(13);
        int sealedDuringDestroy = 0;
        for (int trial = 0; trial < 3000; trial++) {
            byte[] sendKey = new byte[32];
            random.nextBytes(sendKey);
            Keypair k = new Keypair(1, 2, true, 0, sendKey.clone(), key(9));
            List<byte[]> sealed = new ArrayList<>();
            AtomicInteger count = new AtomicInteger();
            Thread sealer = Thread.ofPlatform().start(() -> {
                byte[] packet = new byte[64];
                while (true) {
                    byte[] out = new byte[Keypair.messageLength(packet.length)];
                    if (k.encrypt(packet, 0, packet.length, out, 0) < 0) {
                        return;
                    }
                    synchronized (sealed) {
                        sealed.add(out);
                    }
                    count.incrementAndGet();
                }
            });
            int before = random.nextInt(3);
            while (count.get() < before) {
                Thread.onSpinWait();
            }
            k.destroy();
            int atDestroy = count.get();
            sealer.join();
            sealedDuringDestroy += count.get() - atDestroy;
            for (byte[] msg : sealed) {
                long counter = Messages.counter(msg, 0);
                byte[] plain = new byte[msg.length];
                assertEquals(64, ChaChaPoly.open(sendKey, counter, msg, Messages.TRANSPORT_DATA,
                        msg.length - Messages.TRANSPORT_DATA, null, plain, 0),
                        "trial " + trial + ": datagram " + counter + " was sealed under a key that is not the session's");
            }
        }
        System.out.println("[keypair race] datagrams sealed while destroy() ran: " + sealedDuringDestroy);
    }
}
