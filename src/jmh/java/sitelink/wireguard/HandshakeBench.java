package sitelink.wireguard;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Optional;
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
import sitelink.crypto.X25519;
import sitelink.tunnel.Clock;

/**
 * The handshake's cost on one core, in the JIT-compiled steady state: {@link #handshake} is a whole Noise IKpsk2
 * exchange (both sides: initiation, opening and accepting it, the response, consuming it); {@link #responder} is what a
 * responder spends per initiation (open, accept, respond), whose inverse is the handshakes per second one responder
 * core completes (issue 15 asks for 2,000 or more), without MACs; {@link #responderUnderLoad} is the same with what a
 * responder under load adds (the cookie mechanism engaged: the initiation's mac1 and mac2 checked, the response's
 * mac1 made), and {@link #cookieReply} what it spends instead on an initiation that has no cookie yet (mac1 checked, a
 * cookie reply made: no Diffie-Hellman).
 * {@link #x25519} is one Diffie-Hellman through the JDK's X25519 with a prepared private key: the floor under both,
 * as a responder does four scalar multiplications per handshake (DH(s, e_i) to open the initiation, its ephemeral
 * public key, DH(e, e_i), DH(e, s_i); the static-static one is computed once per peer).
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
    private X25519.PreparedKey prepared;
    private Key peerPublic;
    /** A clock that stands still: the cookie secret and the cookie stay valid for the whole run. */
    private static final Clock STILL = new Clock() {
        @Override
        public long nanoTime() {
            return 0;
        }

        @Override
        public Instant now() {
            return Instant.parse("2026-01-01T00:00:00Z");
        }
    };
    private static final InetSocketAddress SOURCE = new InetSocketAddress(InetAddress.ofLiteral("198.18.0.1"), 51820);
    private CookieChecker checker;
    private CookieGenerator responseMacs;
    private Handshake loadedResponder;
    private byte[][] ringWithCookie;
    private int nextLoaded;
    private long loadedNanos;
    private byte[] withoutCookie;

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
        prepared = X25519.prepare(key());
        peerPublic = X25519.publicKey(key());

        // Under load: one cookie round (an initiation with mac1 only, bob's cookie reply, alice keeps the cookie), then
        // initiations that carry mac1 and mac2.
        checker = new CookieChecker(bob, random, STILL);
        CookieGenerator initiationMacs = new CookieGenerator(bob.publicKey(), STILL);
        responseMacs = new CookieGenerator(alice.publicKey(), STILL);
        loadedResponder = new Handshake(bob, alice.publicKey(), new java.security.SecureRandom());
        Handshake loadedSource = new Handshake(alice, bob.publicKey(), new java.security.SecureRandom());
        withoutCookie = loadedSource.createInitiation(RING, start);
        initiationMacs.addMacs(withoutCookie);
        if (!initiationMacs.consumeReply(checker.createReply(withoutCookie, withoutCookie.length, SOURCE))) {
            throw new IllegalStateException("the cookie reply did not authenticate");
        }
        ringWithCookie = new byte[RING][];
        for (int i = 0; i < RING; i++) {
            ringWithCookie[i] = loadedSource.createInitiation(i, start.plusSeconds(i));
            initiationMacs.addMacs(ringWithCookie[i]);
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

    @Benchmark
    public byte[] responderUnderLoad() {
        if (nextLoaded == RING) {
            nextLoaded = 0;
            loadedResponder = new Handshake(bob, alice.publicKey(), new java.security.SecureRandom());
        }
        loadedNanos += 1_000_000_000L;
        byte[] msg = ringWithCookie[nextLoaded++];
        if (!checker.checkMac1(msg, msg.length) || !checker.checkMac2(msg, msg.length, SOURCE)) {
            throw new IllegalStateException("the initiation's MACs did not verify");
        }
        Initiation opened = Handshake.openInitiation(bob, msg).orElseThrow();
        if (!loadedResponder.acceptInitiation(opened, loadedNanos)) {
            throw new IllegalStateException("responder refused the initiation");
        }
        Handshake.Response response = loadedResponder.createResponse(nextLoaded, loadedNanos);
        response.keypair().destroy();
        responseMacs.addMacs(response.message());
        return response.message();
    }

    @Benchmark
    public byte[] cookieReply() {
        if (!checker.checkMac1(withoutCookie, withoutCookie.length)
                || checker.checkMac2(withoutCookie, withoutCookie.length, SOURCE)) {
            throw new IllegalStateException("an initiation with mac1 and no mac2 expected");
        }
        return checker.createReply(withoutCookie, withoutCookie.length, SOURCE);
    }

    @Benchmark
    public Optional<Key> x25519() {
        return X25519.sharedSecret(prepared, peerPublic);
    }
}
