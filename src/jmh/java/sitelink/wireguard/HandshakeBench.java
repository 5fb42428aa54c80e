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
 * The handshake's cost on one core, in the JIT-compiled steady state: {@link #handshake} is a whole Noise IKpsk2
 * exchange (both sides: initiation, opening and accepting it, the response, consuming it); {@link #responder} is what a
 * responder spends per initiation (open, accept, respond), whose inverse is the handshakes per second one responder
 * core completes (issue 15 asks for 2,000 or more). MACs and cookies are left out: they are a few BLAKE2s calls.
 * Run: {@code bench/jmh HandshakeBench}.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.Throughput, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HandshakeBench {
    /** Initiations made in advance for {@link #responder}; each is accepted once (its timestamp must be newer). */
    static final int RING = 1024;

    private final SecureRandom random = new SecureRandom();
    private LocalIdentity alice;
    private LocalIdentity bob;
    private Handshake initiator;
    private Handshake responder;
    private final Instant start = Instant.parse("2026-01-01T00:00:00Z");
    private long exchanges;
    private byte[][] ring;
    private int next;
    private long nowNanos;

    @Setup
    public void setUp() {
        alice = new LocalIdentity(key());
        bob = new LocalIdentity(key());
        initiator = new Handshake(alice, bob.publicKey(), new java.security.SecureRandom());
        responder = new Handshake(bob, alice.publicKey(), new java.security.SecureRandom());
        Handshake ringSource = new Handshake(alice, bob.publicKey(), new java.security.SecureRandom());
        ring = new byte[RING][];
        for (int i = 0; i < RING; i++) {
            ring[i] = ringSource.createInitiation(i, start.plusSeconds(i));
        }
    }

    private Key key() {
        byte[] k = new byte[32];
        random.nextBytes(k);
        return Key.of(k);
    }

    @Benchmark
    public Keypair handshake() {
        exchanges++;
        // Each initiation is a second newer (replay check) and a second later (flood check) than the one before.
        long now = exchanges * 1_000_000_000L;
        byte[] init = initiator.createInitiation((int) exchanges, start.plusSeconds(exchanges));
        Initiation opened = Handshake.openInitiation(bob, init).orElseThrow();
        if (!responder.acceptInitiation(opened, now)) {
            throw new IllegalStateException("responder refused the initiation");
        }
        Handshake.Response response = responder.createResponse((int) exchanges, now);
        response.keypair().destroy();
        Keypair k = initiator.consumeResponse(response.message(), now).orElseThrow();
        k.destroy();
        return k;
    }

    @Benchmark
    public byte[] responder() {
        if (next == RING) {
            next = 0;
            responder = new Handshake(bob, alice.publicKey(), new java.security.SecureRandom()); // forgets the timestamps the ring already used
        }
        nowNanos += 1_000_000_000L;
        Initiation opened = Handshake.openInitiation(bob, ring[next++]).orElseThrow();
        if (!responder.acceptInitiation(opened, nowNanos)) {
            throw new IllegalStateException("responder refused the initiation");
        }
        Handshake.Response response = responder.createResponse(next, nowNanos);
        response.keypair().destroy();
        return response.message();
    }
}
