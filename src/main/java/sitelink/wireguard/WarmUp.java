package sitelink.wireguard;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.tunnel.Clock;
import sitelink.tunnel.SystemClock;
import sitelink.tunnel.Results;

/**
 * A synthetic WireGuard session between two protocol cores in memory, run at start so that the JIT has compiled the
 * handshake and the data path before the first real packet arrives (issue 15): a tunnel that has just come up is what
 * an operator checks, with a ping and a short iperf3, and a cold JVM runs those first packets in its interpreter and
 * loads and links the crypto classes during the first handshake. The same session is the training run of the
 * ahead-of-time cache (see {@code sitelink.cli.WarmStart} and {@code sitelink.cli.AotTraining}).
 *
 * <p>Each round is a handshake between fresh cores (fresh static keys: both sides' Diffie-Hellmans, the KDF chain,
 * the TAI64N replay check), full-size and small packets in both directions, and a rekey after REKEY_AFTER_TIME on
 * the cores' own clock, moved ahead of the system's ({@link SystemClock#movable}). Nothing touches a socket, an interface or the system clock's consumers; the cores are
 * dropped afterwards and their keys zeroed with them.
 */
public final class WarmUp {
    private static final InetSocketAddress ADDR_A = new InetSocketAddress(InetAddress.ofLiteral("198.18.0.1"), 51820);
    private static final InetSocketAddress ADDR_B = new InetSocketAddress(InetAddress.ofLiteral("198.18.0.2"), 51821);

    /** What a warm-up did: rounds run, handshakes completed, packets delivered (both directions), time taken. */
    public record Report(int rounds, int handshakes, long packets, long nanos) {
        public double millis() {
            return nanos / 1e6;
        }
    }

    private WarmUp() {
    }

    /**
     * Runs rounds until {@code maxRounds} are done or {@code budgetNanos} has passed (checked between rounds, so it
     * overruns by at most one round: a few milliseconds once compiled, the first round of a cold JVM some tens).
     */
    public static Report run(int maxRounds, long budgetNanos, Clock clock, SecureRandom random) {
        long start = clock.nanoTime();
        int rounds = 0;
        int handshakes = 0;
        long packets = 0;
        byte[] big = new byte[1420];
        byte[] small = new byte[60];
        random.nextBytes(big);
        random.nextBytes(small);
        while (rounds < maxRounds && clock.nanoTime() - start < budgetNanos) {
            Session s = new Session(random);
            s.a.send(s.bAtA, small);
            s.pump();
            handshakes += s.handshakeCompleted() ? 1 : 0;
            for (int i = 0; i < 16; i++) {
                s.a.send(s.bAtA, big);
                s.b.send(s.aAtB, small);
                s.b.send(s.aAtB, big);
                s.a.send(s.bAtA, small);
                s.pump();
            }
            // Past REKEY_AFTER_TIME the initiator starts a new handshake on its next packet; both keep data flowing.
            s.clock.advance(Constants.REKEY_AFTER_TIME_NANOS + 1_000_000_000L);
            s.a.send(s.bAtA, small);
            s.pump();
            handshakes += s.handshakeCompleted() ? 1 : 0;
            s.b.send(s.aAtB, small);
            s.a.send(s.bAtA, big);
            s.pump();
            s.a.tick();
            s.b.tick();
            s.pump();
            packets += s.a.delivered + s.b.delivered;
            s.close();
            rounds++;
        }
        return new Report(rounds, handshakes, packets, clock.nanoTime() - start);
    }

    /** One side: a core and the datagrams it wants sent, copied out of its results. */
    private static final class Side {
        final WireGuardCore core;
        final Results results = new Results(65536 + 64);
        final ArrayDeque<byte[]> sent = new ArrayDeque<>();
        /** Packets the core delivered (decrypted, for the tunnel interface). */
        long delivered;

        Side(Clock clock, SecureRandom random) {
            core = new WireGuardCore(clock, random);
            Key k = X25519.generatePrivate(random);
            core.setPrivateKey(k);
        }

        void send(Peer p, byte[] packet) {
            core.send(p, packet, 0, packet.length, results.clear());
            take();
        }

        void receive(InetSocketAddress from, byte[] d) {
            core.receive(from, d, d.length, results.clear());
            take();
        }

        void tick() {
            core.tick(results.clear());
            take();
        }

        private void take() {
            delivered += results.delivers();
            for (int i = 0; i < results.sends(); i++) {
                sent.add(Arrays.copyOfRange(results.sendBuffer(i), results.sendOffset(i),
                        results.sendOffset(i) + results.sendLength(i)));
            }
        }
    }

    private static final class Session {
        /** The system's time, moved ahead past a rekey's (the same clock class as a gateway's: see SystemClock). */
        final SystemClock clock;
        final Side a;
        final Side b;
        final Peer bAtA;
        final Peer aAtB;
        private Instant lastHandshake;

        Session(SecureRandom random) {
            clock = SystemClock.movable();
            a = new Side(clock, random);
            b = new Side(clock, random);
            bAtA = a.core.addPeer(b.core.publicKey().orElseThrow()).orElseThrow();
            aAtB = b.core.addPeer(a.core.publicKey().orElseThrow()).orElseThrow();
            Key psk = X25519.generatePrivate(random);
            a.core.setPresharedKey(bAtA, psk);
            b.core.setPresharedKey(aAtB, psk);
            a.core.setEndpoint(bAtA, ADDR_B);
        }

        /** True when the initiator's session is newer than at the last call: a handshake completed since. */
        boolean handshakeCompleted() {
            Instant t = bAtA.lastHandshake().orElse(null);
            boolean completed = t != null && !t.equals(lastHandshake);
            lastHandshake = t;
            return completed;
        }

        void pump() {
            while (!a.sent.isEmpty() || !b.sent.isEmpty()) {
                while (!a.sent.isEmpty()) {
                    b.receive(ADDR_A, a.sent.poll());
                }
                while (!b.sent.isEmpty()) {
                    a.receive(ADDR_B, b.sent.poll());
                }
            }
        }

        void close() {
            a.core.setPrivateKey(Key.of(new byte[Key.LENGTH]));
            b.core.setPrivateKey(Key.of(new byte[Key.LENGTH]));
        }
    }
}
