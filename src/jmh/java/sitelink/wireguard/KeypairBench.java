package sitelink.wireguard;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import sitelink.crypto.Key;

/**
 * The per-packet crypto of the data path: {@link Keypair#encrypt} and {@link Keypair#decrypt} of one full-MTU
 * (1420-byte) packet. encrypt uses a session set up by two real {@link Handshake}s; decrypt opens messages sealed in
 * advance (see RING). Single-threaded: one core's worth.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.Throughput, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class KeypairBench {
    static final int PACKET = 1420;
    /**
     * Messages sealed in advance for decrypt. The replay window accepts each counter once, so when the ring is used
     * up decrypt goes on with a new receiving Keypair holding the same key (a 1 KiB allocation per RING messages).
     */
    static final int RING = 4096;

    private final SecureRandom random = new SecureRandom();
    private final byte[] packet = new byte[PACKET];
    private final byte[] wire = new byte[Keypair.messageLength(PACKET)];
    private final byte[] plain = new byte[Keypair.messageLength(PACKET)];
    private final byte[] sendKey = new byte[32];
    private final byte[] receiveKey = new byte[32];
    private Keypair sender;
    private Keypair receiver;
    private byte[][] sealed;
    private int next;

    /** Two static identities and one handshake between them; returns (initiator, responder) sessions. */
    static Keypair[] session(SecureRandom random) {
        LocalIdentity alice = new LocalIdentity(key(random));
        LocalIdentity bob = new LocalIdentity(key(random));
        Handshake a = new Handshake(alice, bob.publicKey(), new java.security.SecureRandom());
        Handshake b = new Handshake(bob, alice.publicKey(), new java.security.SecureRandom());
        byte[] init = a.createInitiation(random.nextInt(), Instant.now());
        Initiation opened = Handshake.openInitiation(bob, init).orElseThrow();
        if (!b.acceptInitiation(opened, System.nanoTime())) {
            throw new IllegalStateException("responder refused the initiation");
        }
        Handshake.Response response = b.createResponse(random.nextInt(), System.nanoTime());
        Keypair initiator = a.consumeResponse(response.message(), System.nanoTime()).orElseThrow();
        return new Keypair[] {initiator, response.keypair()};
    }

    private static Key key(SecureRandom random) {
        byte[] k = new byte[32];
        random.nextBytes(k);
        return Key.of(k);
    }

    @Setup
    public void setUp() {
        random.nextBytes(packet);
        Keypair[] s = session(random);
        sender = s[0];
        sealRing();
    }

    /**
     * RING messages sealed with counters 0..RING-1 by a Keypair made directly (as KeypairTest does) so that the
     * receiving side can be made again with the same keys.
     */
    private void sealRing() {
        random.nextBytes(sendKey);
        random.nextBytes(receiveKey);
        Keypair s = new Keypair(1, 2, true, 0, sendKey.clone(), receiveKey.clone());
        sealed = new byte[RING][Keypair.messageLength(PACKET)];
        for (byte[] m : sealed) {
            s.encrypt(packet, 0, PACKET, m, 0);
        }
        freshReceiver();
    }

    private void freshReceiver() {
        receiver = new Keypair(2, 1, false, 0, receiveKey.clone(), sendKey.clone());
        next = 0;
    }

    @Benchmark
    public int encrypt() {
        return sender.encrypt(packet, 0, PACKET, wire, 0);
    }

    @Benchmark
    public int decrypt() {
        if (next == RING) {
            freshReceiver();
        }
        byte[] m = sealed[next++];
        int n = receiver.decrypt(m, 0, m.length, plain, 0);
        if (n < 0) {
            throw new IllegalStateException("decrypt failed: " + n); // would measure a rejection, not a decryption
        }
        return n;
    }
}
