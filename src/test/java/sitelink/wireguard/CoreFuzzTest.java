package sitelink.wireguard;

import sitelink.tunnel.Drop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.tunnel.Results;

/**
 * Fuzzes {@link WireGuardCore#receive} the way the open UDP port is attacked: arbitrary datagrams, and authentic
 * messages (an initiation, a transport packet) with fuzzer-chosen bytes changed, against a core with one peer and an
 * established session. What must hold for every input: no exception escapes, and a datagram that is not byte for byte
 * an authentic one delivers nothing and is counted as exactly one drop (a forged packet never reaches the LAN).
 * <p>
 * Regression mode (every {@code mvn test}) replays the seed corpus in
 * src/test/resources/sitelink/wireguard/CoreFuzzTestInputs/receive/; {@code JAZZER_FUZZ=1} fuzzes (docs/robustness.md).
 */
class CoreFuzzTest {
    static {
        // Only when fuzzing (JAZZER_FUZZ): before the first X25519 below, as each fixture repeats the same five
        // operations. A replay of the seeds (every mvn test) keeps the JDK's provider, and so do the tests that
        // share its JVM.
        if (System.getenv("JAZZER_FUZZ") != null) {
            RememberedX25519.install();
        }
    }

    private static final InetSocketAddress FROM = new InetSocketAddress(address("198.18.0.2"), 51820);
    private static final InetSocketAddress TO = new InetSocketAddress(address("198.18.0.1"), 51820);
    /** Fixed keys: an input means the same thing on every run, so a crash reproduces. */
    private static final Key KEY_LOCAL = X25519.generatePrivate(seeded(1));
    private static final Key KEY_REMOTE = X25519.generatePrivate(seeded(2));

    /** A side that records what its core sends and delivers. */
    private static final class Side {
        final WireGuardCore core;
        final List<byte[]> sent = new ArrayList<>();
        final List<byte[]> delivered = new ArrayList<>();
        final Results results = new Results(4096);

        Side(FakeClock clock, Key key, long seed) {
            core = new WireGuardCore(clock, seeded(seed));
            core.setPrivateKey(key);
        }

        /** Records what the last call answered; returns why its input was dropped (null: it was not). */
        Drop take() {
            Results r = results;
            for (int i = 0; i < r.sends(); i++) {
                sent.add(Arrays.copyOfRange(r.sendBuffer(i), r.sendOffset(i), r.sendOffset(i) + r.sendLength(i)));
            }
            for (int i = 0; i < r.delivers(); i++) {
                delivered.add(Arrays.copyOfRange(r.deliverBuffer(i), r.deliverOffset(i),
                        r.deliverOffset(i) + r.deliverLength(i)));
            }
            return r.dropped();
        }

        Drop receive(byte[] d) {
            core.receive(FROM, d, d.length, results.clear());
            return take();
        }

        void send(Peer p, byte[] packet) {
            core.send(p, packet, 0, packet.length, results.clear());
            take();
        }

        void tick() {
            core.tick(results.clear());
            take();
        }

        long drops() {
            long sum = 0;
            for (Drop d : Drop.values()) sum += core.drops(d);
            return sum;
        }
    }

    /**
     * The remote side's part of a handshake, recorded once: its initiation, its confirmation (what it sends once it has
     * the local core's response) and a transport packet on the new session. The remote side is only a source of
     * authentic datagrams, so it need not be rebuilt: a fresh local core with the same keys, clock and seeded random
     * answers the initiation with the same response every time, so these datagrams fit every execution's session
     * (the fixture checks that it does). Half the X25519 work of a handshake per execution is saved this way.
     */
    private static final Recorded RECORDED = Recorded.make();

    private record Recorded(Key remotePublic, byte[] initiation, byte[] response, List<byte[]> confirmation,
            byte[] transport) {
        static Recorded make() {
            FakeClock clock = new FakeClock();
            Side local = new Side(clock, KEY_LOCAL, 3);
            Side remote = new Side(clock, KEY_REMOTE, 4);
            local.core.addPeer(remote.core.publicKey().orElseThrow()).orElseThrow();
            Peer localAtRemote = remote.core.addPeer(local.core.publicKey().orElseThrow()).orElseThrow();
            remote.core.setEndpoint(localAtRemote, TO);
            remote.send(localAtRemote, new byte[0]); // stages a keepalive, sends an initiation
            byte[] initiation = remote.sent.removeFirst();
            local.receive(initiation.clone());
            byte[] response = local.sent.removeFirst();
            remote.core.receive(TO, response, response.length, remote.results.clear());
            remote.take();
            List<byte[]> confirmation = List.copyOf(remote.sent);
            remote.sent.clear();
            byte[] transport = encrypt(remote, localAtRemote, new byte[] {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0,
                    (byte) 198, 19, 0, 2, (byte) 198, 19, 0, 1});
            return new Recorded(remote.core.publicKey().orElseThrow(), initiation, response, confirmation, transport);
        }
    }

    /** The local core and its peer, in the state every execution starts from. */
    private record Fixture(Side local, Peer remoteAtLocal) {
        /** A new local core: the remote initiates, the local core answers, the remote confirms; timers run once. */
        static Fixture fresh() {
            Side local = new Side(new FakeClock(), KEY_LOCAL, 3);
            Peer remoteAtLocal = local.core.addPeer(RECORDED.remotePublic()).orElseThrow();
            local.receive(RECORDED.initiation().clone());
            assertArrayEquals(RECORDED.response(), local.sent.removeFirst(), "the local core answered as when recorded");
            for (byte[] d : RECORDED.confirmation()) {
                local.receive(d.clone());
            }
            local.tick();
            local.sent.clear();
            local.delivered.clear();
            return new Fixture(local, remoteAtLocal);
        }
    }

    /**
     * The last execution's fixture when its datagram was refused on a path that changes nothing in the core but its
     * drop counters and the peer's record of failures (which no decision reads): see {@link #leftUntouched}. The next
     * execution starts from it as from a fresh one. Building a fixture is a handshake (five X25519 operations); most
     * inputs are refused long before one, so reusing it is what lets this target run millions of executions.
     */
    private static Fixture kept;

    @FuzzTest(maxDuration = "20s")
    void receive(FuzzedDataProvider data) {
        Fixture f = kept != null ? kept : Fixture.fresh();
        kept = null;
        Side local = f.local();
        Peer remoteAtLocal = f.remoteAtLocal();
        boolean underLoad = data.consumeBoolean();
        if (underLoad) local.core.setUnderLoadRate(0); // reach the cookie-reply path too
        List<byte[]> authentic = List.of(RECORDED.initiation(), RECORDED.transport());

        byte[] datagram = switch (data.consumeInt(0, 2)) {
            case 0 -> data.consumeBytes(2048);
            default -> {
                byte[] template = authentic.get(data.consumeInt(0, 1)).clone();
                int edits = data.consumeInt(1, 8);
                for (int i = 0; i < edits && data.remainingBytes() > 0; i++) {
                    template[data.consumeInt(0, template.length - 1)] ^= data.consumeByte();
                }
                int length = data.consumeInt(0, template.length);
                yield Arrays.copyOf(template, data.consumeBoolean() ? template.length : length);
            }
        };
        boolean isAuthentic = authentic.stream().anyMatch(a -> Arrays.equals(a, datagram));
        long dropsBefore = local.drops();
        int deliveredBefore = local.delivered.size();
        int type = Messages.classify(datagram, datagram.length);
        Drop dropped = local.receive(datagram);
        local.tick();
        if (!isAuthentic) {
            assertEquals(deliveredBefore, local.delivered.size(), "a forged datagram reached the LAN");
            assertEquals(dropsBefore + 1, local.drops(), "a forged datagram must be counted as one drop");
            assertNotNull(dropped, "a forged datagram's results say why it was dropped");
        }
        assertTrue(remoteAtLocal.rxBytes() >= 0);
        if (leftUntouched(type, dropped) && local.sent.isEmpty() && local.delivered.isEmpty()) {
            local.core.setUnderLoadRate(HandshakeLoad.DEFAULT_UNDER_LOAD_RATE);
            kept = f;
        }
    }

    /**
     * Whether a datagram of this type, dropped for this reason, left the core as it found it: these paths read the
     * core (message type and length, the index table, the replay window, mac1 under our public key, a failed
     * decryption) and write only the drop counter and the attributed peer's failure statistics. Under load or not
     * makes no difference to them: mac1 is checked before the load is counted. Any other outcome (a handshake
     * message past mac1, a cookie reply for a known index, a packet that opened) may have changed the core, so the
     * next execution builds a new one.
     */
    private static boolean leftUntouched(int type, Drop dropped) {
        return dropped == Drop.INVALID_MESSAGE || dropped == Drop.MAC1_INVALID
                || (type == Constants.MESSAGE_TRANSPORT
                        && (dropped == Drop.UNKNOWN_INDEX || dropped == Drop.DECRYPT_FAILED || dropped == Drop.REPLAY));
    }

    private static byte[] encrypt(Side remote, Peer localAtRemote, byte[] packet) {
        remote.send(localAtRemote, packet);
        byte[] d = remote.sent.removeLast();
        assertArrayEquals(new byte[] {4, 0, 0, 0}, Arrays.copyOf(d, 4), "a transport message");
        return d;
    }

    private static SecureRandom seeded(long seed) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            return r;
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
