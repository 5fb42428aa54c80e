package sitelink.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import sitelink.crypto.ChaChaPoly;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.tunnel.Results;

/**
 * Sessions end on other threads while the data path seals: a handshake answered on the UDP thread, a peer removed by
 * a reload or {@code wg set ... remove}, a new private key from the UAPI. A sender thread sends through core A without
 * pause while the test thread rotates A's sessions every way it can; no datagram may leave sealed under a zeroed key.
 */
class SessionChurnTest {
    private static final InetSocketAddress ADDR_A = address("198.18.0.1", 51820);
    private static final InetSocketAddress ADDR_B = address("198.18.0.2", 51821);
    private static final byte[] ZERO_KEY = new byte[32];

    private final FakeClock clock = new FakeClock();
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentLinkedQueue<byte[]> fromA = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<byte[]> fromB = new ConcurrentLinkedQueue<>();
    private final AtomicLong sealedUnderZeroKey = new AtomicLong();
    private final AtomicLong transportsFromA = new AtomicLong();
    private final AtomicLong deliveredAtB = new AtomicLong();

    private final WireGuardCore a = new WireGuardCore(clock, random);
    private final WireGuardCore b = new WireGuardCore(clock, random);

    /** What A's core answered: its datagrams on their way to B, each transport message checked for an all-zero key. */
    private void fromA(Results r) {
        for (int i = 0; i < r.sends(); i++) {
            int off = r.sendOffset(i), len = r.sendLength(i);
            byte[] d = Arrays.copyOfRange(r.sendBuffer(i), off, off + len);
            if (Messages.classify(d, d.length) == Constants.MESSAGE_TRANSPORT) {
                transportsFromA.incrementAndGet();
                byte[] plain = new byte[len];
                if (ChaChaPoly.open(ZERO_KEY, Messages.counter(d, 0), d, Messages.TRANSPORT_DATA,
                        len - Messages.TRANSPORT_DATA, null, plain, 0) >= 0) {
                    sealedUnderZeroKey.incrementAndGet();
                }
            }
            fromA.add(d);
        }
    }

    /** What B's core answered: datagrams to A, and packets it delivered. */
    private void fromB(Results r) {
        for (int i = 0; i < r.sends(); i++) {
            fromB.add(Arrays.copyOfRange(r.sendBuffer(i), r.sendOffset(i), r.sendOffset(i) + r.sendLength(i)));
        }
        deliveredAtB.addAndGet(r.delivers());
    }

    @Test
    void noDatagramLeavesSealedUnderAZeroedKeyWhileSessionsAreRotatedRemovedAndReAdded() throws InterruptedException {
        Key keyA = X25519.generatePrivate(random);
        a.setPrivateKey(keyA);
        b.setPrivateKey(X25519.generatePrivate(random));
        AtomicReference<Peer> bAtA = new AtomicReference<>(addPeer(a, b.publicKey().orElseThrow(), ADDR_B));
        addPeer(b, a.publicKey().orElseThrow(), null);

        Thread sender = Thread.ofPlatform().name("churn-sender").start(() -> {
            byte[] packet = new byte[16];
            Results sealed = new Results(packet.length + 64); // the sender thread's own
            while (!Thread.currentThread().isInterrupted()) {
                a.send(bAtA.get(), packet, 0, packet.length, sealed.clear());
                fromA(sealed);
            }
        });
        int rounds = 300;
        try {
            for (int round = 0; round < rounds; round++) {
                pumpUntilAHasASession(bAtA.get());
                switch (round % 3) {
                    case 0 -> { // A's peer removed and added again (reload, wg set ... remove)
                        a.removePeer(b.publicKey().orElseThrow());
                        bAtA.set(addPeer(a, b.publicKey().orElseThrow(), ADDR_B));
                    }
                    case 1 -> { // a new private key for A (UAPI set private_key): every session ends
                        Key oldPublic = a.publicKey().orElseThrow();
                        a.setPrivateKey(X25519.generatePrivate(random));
                        b.removePeer(oldPublic);
                        addPeer(b, a.publicKey().orElseThrow(), null);
                    }
                    default -> { // B starts a handshake: A answers on "its UDP thread" and rotates its sessions
                        b.removePeer(a.publicKey().orElseThrow());
                        Peer aAtB = addPeer(b, a.publicKey().orElseThrow(), ADDR_A);
                        Results r = new Results(80);
                        b.send(aAtB, new byte[16], 0, 16, r);
                        fromB(r);
                    }
                }
            }
        } finally {
            sender.interrupt();
            sender.join();
        }
        System.out.printf("[session churn] %d rounds, %d transport datagrams from A, %d delivered at B%n", rounds,
                transportsFromA.get(), deliveredAtB.get());
        assertTrue(deliveredAtB.get() > rounds, "traffic flowed through the churn: " + deliveredAtB.get());
        assertEquals(0, sealedUnderZeroKey.get(), "datagrams sealed under an all-zero key");
    }

    private void pumpUntilAHasASession(Peer bAtA) {
        Results r = new Results(65536);
        for (int i = 0; i < 1000 && !(bAtA.hasSession() && fromA.isEmpty() && fromB.isEmpty()); i++) {
            byte[] d;
            while ((d = fromA.poll()) != null) {
                b.receive(ADDR_A, d, d.length, r.clear());
                fromB(r);
            }
            while ((d = fromB.poll()) != null) {
                a.receive(ADDR_B, d, d.length, r.clear());
                fromA(r);
            }
        }
    }

    private static Peer addPeer(WireGuardCore core, Key publicKey, InetSocketAddress endpoint) {
        Peer p = core.addPeer(publicKey).orElseThrow();
        if (endpoint != null) {
            core.setEndpoint(p, endpoint);
        }
        return p;
    }

    private static InetSocketAddress address(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
