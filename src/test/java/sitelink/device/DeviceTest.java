package sitelink.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.packet.Packets;
import sitelink.policy.PacketFilter;
import sitelink.route.Prefix;
import sitelink.wireguard.Constants;
import sitelink.tunnel.Environment;
import sitelink.wireguard.FakeClock;

/**
 * Two whole devices, each with its own threads, wired through an in-memory TUN on each side and an in-memory WAN
 * between them, on one fake clock: real IP packets through real handshakes and real crypto, no namespace, no root.
 */
class DeviceTest {
    private static final InetAddress WAN_A = address("203.0.113.1");
    private static final InetAddress WAN_B = address("203.0.113.2");
    private static final byte[] HOST_A = Packets.addr("198.18.1.10");
    private static final byte[] HOST_B = Packets.addr("198.18.2.10");

    private final FakeClock clock = new FakeClock();
    private final MemoryWan wan = new MemoryWan();
    private final MemoryTun tunA = new MemoryTun("wgA");
    private final MemoryTun tunB = new MemoryTun("wgB");
    private final Key keyA = X25519.generatePrivate(seeded(1));
    private final Key keyB = X25519.generatePrivate(seeded(2));
    private Device a;
    private Device b;

    private void start() throws Exception {
        a = new Device("wgA", tunA, wan.host(WAN_A), new Environment(clock, seeded(3), new Random(3)));
        b = new Device("wgB", tunB, wan.host(WAN_B), new Environment(clock, seeded(4), new Random(4)));
        a.apply(update(keyA, 51820, keyB, new InetSocketAddress(WAN_B, 51820), "198.18.2.0/24"));
        b.apply(update(keyB, 51820, keyA, new InetSocketAddress(WAN_A, 51820), "198.18.1.0/24"));
        a.start();
        b.start();
    }

    @AfterEach
    void close() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @Test
    void carriesPacketsBothWaysAfterAHandshake() throws Exception {
        start();
        byte[] request = udp(HOST_A, HOST_B, 40000, 7, "ping");
        tunA.fromLan(request);
        assertArrayEquals(request, tunB.nextToLan(), "the packet from LAN A reaches LAN B unchanged");
        byte[] reply = udp(HOST_B, HOST_A, 7, 40000, "pong");
        tunB.fromLan(reply);
        assertArrayEquals(reply, tunA.nextToLan(), "the reply reaches LAN A unchanged");
        assertTrue(peerOf(a).lastHandshake().isPresent());
        assertTrue(peerOf(a).sessionInitiator(), "A sent first, so A initiated");
        // a packet is counted just after its TUN write, which the test may see first
        await(() -> a.counters().get("rx_packets") == 1 && b.counters().get("rx_packets") == 1, "the counts");
        assertEquals(1L, a.counters().get("tx_packets"));
        assertEquals(1L, b.counters().get("tx_packets"));
    }

    @Test
    void rekeysAfterRekeyAfterTimeAndKeepsCarrying() throws Exception {
        start();
        exchange(1);
        Instant first = peerOf(a).lastHandshake().orElseThrow();

        clock.advance(Constants.REKEY_AFTER_TIME.plusSeconds(1));
        exchange(2); // the first packet on the old session, still valid, makes the initiator rekey
        await(() -> !peerOf(a).lastHandshake().orElseThrow().equals(first), "a second handshake");
        Instant second = peerOf(a).lastHandshake().orElseThrow();
        assertNotEquals(first, second);
        assertTrue(Duration.between(first, second).compareTo(Constants.REKEY_AFTER_TIME) > 0);
        exchange(3);
        await(() -> peerOf(b).lastHandshake().orElseThrow().equals(second), "B confirmed the new session");
        exchange(4);
        assertEquals(0L, a.counters().get("drop_decrypt_failed") + b.counters().get("drop_decrypt_failed"));
        assertEquals(0L, a.counters().get("drop_replay") + b.counters().get("drop_replay"));
    }

    @Test
    void dropsAPacketWhoseSourceIsNotThePeersAllowedIps() throws Exception {
        start();
        exchange(1);
        // LAN B sends from an address outside what A allows for B: B routes and seals it, A must refuse it.
        tunB.fromLan(udp(Packets.addr("198.18.9.9"), HOST_A, 7, 40000, "spoofed"));
        await(() -> peerOf(a).drops().get("source_not_allowed") != null, "the drop charged to B");
        assertEquals(1L, peerOf(a).drops().get("source_not_allowed"));
        assertEquals(1L, a.counters().get("drop_source_not_allowed"));
        exchange(2);
        assertTrue(tunA.toLan.isEmpty(), "the spoofed packet never reached LAN A");
    }

    @Test
    void dropsWhatTheFilterRefusesAndDeliversTheRest() throws Exception {
        start();
        b.setPacketFilter(new PacketFilter() {
            @Override
            public boolean toTunnel(Key site, byte[] buf, int off, int len, LanWriter lan) {
                return true;
            }

            @Override
            public boolean fromTunnel(Key site, byte[] buf, int off, int len) {
                return Packets.u16(buf, off + 22) != 9; // UDP destination port 9 (discard) is refused
            }
        });
        tunA.fromLan(udp(HOST_A, HOST_B, 40000, 9, "discard me"));
        await(() -> peerOf(b).drops().get("filtered") != null, "the filter's drop charged to A");
        assertEquals(1L, peerOf(b).drops().get("filtered"));
        assertEquals(1L, b.counters().get("drop_filtered"));
        byte[] allowed = udp(HOST_A, HOST_B, 40000, 7, "echo me");
        tunA.fromLan(allowed);
        assertArrayEquals(allowed, tunB.nextToLan(), "the next, allowed packet is delivered");
        assertNull(tunB.toLan.poll(), "and only that one");
    }

    @Test
    void dropsAPacketWithNoRoute() throws Exception {
        start();
        tunA.fromLan(udp(HOST_A, Packets.addr("198.18.7.1"), 40000, 7, "nowhere"));
        await(() -> a.counters().get("drop_no_route") == 1, "the drop counted");
        assertEquals(0L, a.counters().get("tx_datagrams"), "no handshake for a packet nobody takes");
    }

    /** A channel of the gateways' own (the post-quantum exchange's shape): its packets taken, its imitations refused. */
    private static final class Channel implements ControlChannel {
        final java.util.concurrent.LinkedBlockingQueue<byte[]> received = new java.util.concurrent.LinkedBlockingQueue<>();
        volatile boolean hold;

        @Override
        public boolean receive(sitelink.tunnel.Remote site, byte[] buf, int off, int len) {
            Optional<byte[]> m = sitelink.pqpsk.ControlPacket.unwrap(buf, off, len);
            m.ifPresent(received::add);
            return m.isPresent();
        }

        @Override
        public boolean imitates(byte[] buf, int off, int len) {
            return sitelink.pqpsk.ControlPacket.matches(buf, off, len);
        }

        @Override
        public boolean holds(Key site) {
            return hold;
        }
    }

    @Test
    void theControlChannelIsTheGatewaysAloneAndItsHoldStopsTheSitesTraffic() throws Exception {
        start();
        exchange(1);
        Channel channelA = new Channel(), channelB = new Channel();
        a.setControlChannel(channelA);
        b.setControlChannel(channelB);
        Key publicA = X25519.publicKey(keyA), publicB = X25519.publicKey(keyB);

        a.sendControl(publicB, sitelink.pqpsk.ControlPacket.wrap("from gateway A".getBytes()));
        byte[] got = channelB.received.poll(5, TimeUnit.SECONDS);
        assertArrayEquals("from gateway A".getBytes(), got, "B's gateway gets A's message, past the filter and source check");
        // A host on LAN A sends a packet of the channel's shape: refused at A before routing, B's gateway never sees it.
        tunA.fromLan(sitelink.pqpsk.ControlPacket.wrap("from a host".getBytes()));
        await(() -> a.counters().get("drop_post_quantum_imitation") == 1, "the imitation refused");
        exchange(2);
        assertNull(channelB.received.poll(), "only the gateway's own message arrived");
        assertTrue(tunB.toLan.isEmpty() && tunA.toLan.isEmpty(), "and nothing of the channel reached a LAN");

        channelB.hold = true; // fail closed: B holds A's traffic back both ways; the channel itself still works
        tunA.fromLan(udp(HOST_A, HOST_B, 40000, 7, "held"));
        tunB.fromLan(udp(HOST_B, HOST_A, 7, 40000, "held too"));
        await(() -> Long.valueOf(2).equals(peerOf(b).drops().get("post_quantum_closed")), "both held packets charged to A");
        assertEquals(2L, b.counters().get("drop_post_quantum_closed"));
        a.sendControl(publicB, sitelink.pqpsk.ControlPacket.wrap("still talking".getBytes()));
        assertArrayEquals("still talking".getBytes(), channelB.received.poll(5, TimeUnit.SECONDS));
        assertTrue(tunB.toLan.isEmpty() && tunA.toLan.isEmpty());
        channelB.hold = false;
        exchange(3);

        // A new preshared key on both sides, put in force by a handshake at once.
        Instant before = peerOf(a).lastHandshake().orElseThrow();
        Key psk = Key.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                24, 25, 26, 27, 28, 29, 30, 31, 32});
        b.setPresharedKeys(publicA, psk, Key.zero());
        a.setPresharedKeys(publicB, psk, Key.zero());
        clock.advance(Constants.REKEY_TIMEOUT.plusSeconds(1)); // the handshake rate limit
        b.rehandshake(publicA);
        await(() -> !peerOf(b).lastHandshake().orElseThrow().equals(before), "the handshake under the new key");
        exchange(4);
    }

    /**
     * The first handshake's messages come from the configured endpoints and find the handshake threads asleep: each
     * side handles its one message on its UDP reader, with no hand-off on the first packet's path. Beyond one per
     * interval (here: a flood from A's address, as a spoofer would send) they are queued for the handshake thread.
     */
    @Test
    void handlesAPeersHandshakeOnTheUdpReaderAtMostOncePerInterval() throws Exception {
        start();
        await(() -> a.handshakeThreadIdle() && b.handshakeThreadIdle(), "the handshake threads asleep");
        exchange(1);
        assertEquals(1L, b.inlineHandshakes(), "B answered A's initiation on its UDP reader");
        assertEquals(1L, a.inlineHandshakes(), "A consumed B's response on its UDP reader");

        InetSocketAddress fromA = new InetSocketAddress(WAN_A, 51820), toB = new InetSocketAddress(WAN_B, 51820);
        byte[] forged = new byte[Constants.MESSAGE_INITIATION_SIZE];
        forged[0] = Constants.MESSAGE_INITIATION; // mac1 all zeros: refused before any Diffie-Hellman
        await(b::handshakeThreadIdle, "B's handshake thread asleep");
        for (int i = 0; i < 20; i++) {
            wan.inject(fromA, toB, forged);
        }
        await(() -> b.counters().get("drop_mac1_invalid") == 20, "the forged initiations refused");
        assertEquals(1L, b.inlineHandshakes(), "the clock stood still: all twenty went to the handshake thread");

        clock.advance(Duration.ofNanos(Device.INLINE_HANDSHAKE_INTERVAL_NANOS));
        await(b::handshakeThreadIdle, "B's handshake thread asleep again");
        wan.inject(fromA, toB, forged);
        await(() -> b.counters().get("drop_mac1_invalid") == 21, "the next one refused");
        assertEquals(2L, b.inlineHandshakes(), "an interval later, the UDP reader took one itself");
        exchange(2);
    }

    /**
     * A tunnel added to running devices (what a reload adding the first IKEv2 site does) gets its socket's reader at
     * once, and the TUN reader takes its socket on with the first packet routed to it: packets cross both ways,
     * WireGuard's site carries on beside it.
     */
    @Test
    void aTunnelAddedWhileTheDevicesRunCarriesPacketsBesideWireGuard() throws Exception {
        start();
        exchange(1);
        byte[] lanA2 = Packets.addr("198.18.6.10"), lanB2 = Packets.addr("198.18.7.10");
        Plain toB = new Plain(a.nextTunnelIndex(), new InetSocketAddress(WAN_B, 4500));
        Plain toA = new Plain(b.nextTunnelIndex(), new InetSocketAddress(WAN_A, 4500));
        a.addTunnel(toB, 4500);
        b.addTunnel(toA, 4500);
        a.route(toB, List.of(Prefix.parse("198.18.7.0/24")));
        b.route(toA, List.of(Prefix.parse("198.18.6.0/24")));

        exchange(lanA2, lanB2, "through the added tunnel");
        exchange(2);
    }

    /** A tunnel without crypto, for the test: a packet for its site goes as it is to the other device's socket. */
    private static final class Plain implements sitelink.tunnel.Tunnel, sitelink.tunnel.Remote {
        private final int index;
        private final InetSocketAddress peer;
        private final Key id = Key.of(new byte[32]);

        Plain(int index, InetSocketAddress peer) {
            this.index = index;
            this.peer = peer;
        }

        @Override public Key id() { return id; }
        @Override public Optional<InetSocketAddress> endpoint() { return Optional.of(peer); }
        @Override public int tunnel() { return index; }
        @Override public boolean isHandshake(int socket, byte[] datagram, int len) { return false; }
        @Override public boolean isRemoteEndpoint(InetAddress address) { return false; }
        @Override public void seal(sitelink.tunnel.Remote to, byte[] packet, int off, int len, sitelink.tunnel.Results out) {
            out.sendSealed(0, peer, null, packet, off, len);
        }
        @Override public void open(int socket, InetSocketAddress source, InetAddress local, byte[] datagram, int len,
                                   sitelink.tunnel.Results out) {
            out.deliver(this, datagram, 0, len);
        }
        @Override public void handshake(int socket, InetSocketAddress source, InetAddress local, byte[] datagram, int len,
                                        sitelink.tunnel.Results out) { }
        @Override public long tick(sitelink.tunnel.Results out) { return Long.MAX_VALUE; }
        @Override public void handshakeBacklog() { }
        @Override public void forgetLocalSource(InetAddress gone) { }
        @Override public int overhead() { return 0; }
        @Override public long drops(sitelink.tunnel.Drop reason) { return 0; }
    }

    /** One request A to B and one reply, each checked on arrival. */
    private void exchange(int n) throws InterruptedException {
        exchange(HOST_A, HOST_B, Integer.toString(n));
    }

    /** A request from {@code hostA} on LAN A to {@code hostB} on LAN B and a reply, each checked on arrival. */
    private void exchange(byte[] hostA, byte[] hostB, String what) throws InterruptedException {
        byte[] request = udp(hostA, hostB, 40000, 7, "request " + what);
        tunA.fromLan(request);
        assertArrayEquals(request, tunB.nextToLan(), () -> "request " + what + "; A: " + a.counters() + "; B: " + b.counters());
        byte[] reply = udp(hostB, hostA, 7, 40000, "reply " + what);
        tunB.fromLan(reply);
        assertArrayEquals(reply, tunA.nextToLan(), () -> "reply " + what + "; A: " + peerOf(a) + "; B: " + peerOf(b));
    }

    private static PeerStatus peerOf(Device d) {
        List<PeerStatus> peers = d.status().peers();
        assertEquals(1, peers.size());
        return peers.get(0);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5); // the devices' own threads move the packets: nothing to wait on but their results
        }
    }

    private static DeviceUpdate update(Key privateKey, int port, Key peer, InetSocketAddress endpoint, String allowed) {
        return new DeviceUpdate(Optional.of(privateKey), OptionalInt.of(port), OptionalInt.empty(), true,
                List.of(new PeerUpdate(X25519.publicKey(peer), false, false, Optional.empty(), Optional.of(endpoint),
                        OptionalInt.empty(), true, List.of(Prefix.parse(allowed)))));
    }

    private static byte[] udp(byte[] src, byte[] dst, int sport, int dport, String payload) {
        return Packets.ipv4(src, dst, 17, 0, Packets.udp(src, dst, sport, dport, payload.getBytes()));
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

    private static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
