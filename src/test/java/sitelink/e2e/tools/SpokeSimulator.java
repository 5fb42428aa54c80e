package sitelink.e2e.tools;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import sitelink.crypto.Blake2s;
import sitelink.crypto.Key;
import sitelink.packet.Checksum;
import sitelink.tunnel.Clock;
import sitelink.tunnel.Results;
import sitelink.wireguard.Constants;
import sitelink.wireguard.LocalIdentity;
import sitelink.wireguard.Messages;
import sitelink.wireguard.Peer;
import sitelink.wireguard.WireGuardCore;

/**
 * Many WireGuard spokes in one process, each a {@link WireGuardCore} of its own (its own static key from
 * {@link SpokePlan}, its own sessions and timers) with the hub as its one peer, on a UDP socket per source address: run inside a
 * test namespace as
 * {@code SpokeSimulator HUB_HOST HUB_PORT HUB_PUBLIC_KEY SPOKES SEED SOURCES ECHO_TARGET ECHO_SECONDS}.
 *
 * <p>SOURCES are local addresses (comma-separated), one non-blocking socket each, all read by one selector thread;
 * spoke {@code i} sends from socket {@code i % sources}. Real spokes send from addresses of their own, and the hub's
 * limits under load count per address, so give each spoke one where the test allows.
 *
 * <p>Every spoke dials the hub at once with a persistent keepalive of 25 s, then every ECHO_SECONDS sends
 * an ICMP echo request from its host (198.19.x.y) to ECHO_TARGET through its tunnel, a payload of its own that the
 * reply must carry back unchanged. The steady data is what a branch office's traffic would be, and it is what brings
 * a spoke back after the hub restarts: WireGuard's new-handshake timer fires when data sent gets no answer for 15 s.
 *
 * <p>Datagrams from the hub are handed to the spoke they are for by their receiver index (the simulator notes the
 * sender index of each initiation and response a spoke sends), and the hub's own initiations by their mac1, which is
 * keyed with the public key they are addressed to. Once a second it prints
 * {@code t=SECONDS spokes=N sessions=S echo_sent=E echo_ok=O echo_bad=B replied=R attempts=A unsent=U}: S spokes
 * with a session, A handshake initiations sent in all, R spokes with an intact echo reply in the last
 * 2 x ECHO_SECONDS + 1 s, U datagrams lost to a full socket buffer; and {@code all N sessions after T s} when the last
 * spoke first gets one.
 */
public final class SpokeSimulator {
    private static final int PAYLOAD = 200;
    private static final int KEEPALIVE_SECONDS = 25;
    private static final int INDICES_KEPT = 4;
    private static final AtomicLong UNSENT = new AtomicLong();

    private final class Spoke {
        final int number;
        final WireGuardCore core;
        final Peer hub;
        final Socket socket;
        final byte[] mac1Key;
        final ArrayDeque<Integer> indices = new ArrayDeque<>();
        /** nanoTime of the latest intact echo reply; 0 until the first. */
        volatile long lastIntactReply;
        int sequence;

        Spoke(int number, Socket socket) {
            this.number = number;
            this.socket = socket;
            Key key = SpokePlan.privateKey(seed, number);
            this.mac1Key = LocalIdentity.mac1KeyFor(SpokePlan.publicKey(seed, number));
            this.core = new WireGuardCore(Clock.SYSTEM, random);
            core.setPrivateKey(key);
            this.hub = core.addPeer(hubKey).orElseThrow();
            core.setEndpoint(hub, hubAddress);
        }

        /** Sends what {@code r} holds from this spoke's socket, noting the indices it will be answered on. */
        void transmit(Results r) {
            for (int i = 0; i < r.sends(); i++) {
                byte[] b = r.sendBuffer(i);
                int off = r.sendOffset(i), len = r.sendLength(i);
                int type = Messages.classify(b, off, len);
                if (type == Constants.MESSAGE_INITIATION || type == Constants.MESSAGE_RESPONSE) {
                    remember(Messages.getInt(b, off + Messages.SENDER));
                }
                socket.send(b, off, len, r.sendTo(i));
            }
        }

        private synchronized void remember(int index) {
            bySenderIndex.put(index, this);
            indices.addLast(index);
            if (indices.size() > INDICES_KEPT) {
                bySenderIndex.remove(indices.removeFirst(), this);
            }
        }

        void receive(InetSocketAddress from, byte[] buf, int len, Results r) {
            core.receive(from, socket.local, buf, len, r.clear());
            for (int i = 0; i < r.delivers(); i++) {
                checkReply(r.deliverBuffer(i), r.deliverOffset(i), r.deliverLength(i));
            }
            transmit(r);
        }

        void sendEcho(Results r) {
            int seq;
            synchronized (this) {
                seq = ++sequence & 0xffff;
            }
            byte[] packet = echoRequest(SpokePlan.host(number), target, number & 0xffff, seq, payload(number, seq));
            echoSent.incrementAndGet();
            core.send(hub, packet, 0, packet.length, r.clear());
            transmit(r);
        }

        private void checkReply(byte[] b, int off, int len) {
            // IPv4, ICMP echo reply from the target to our host, our identifier, a valid checksum and our payload
            int ihl = (b[off] & 0x0f) * 4;
            int icmp = off + ihl;
            boolean ok = len >= ihl + 8 + PAYLOAD && (b[off] >> 4) == 4 && b[off + 9] == 1 && b[icmp] == 0
                    && java.util.Arrays.equals(b, off + 12, off + 16, target, 0, 4)
                    && java.util.Arrays.equals(b, off + 16, off + 20, SpokePlan.host(number), 0, 4)
                    && ((b[icmp + 4] & 0xff) << 8 | (b[icmp + 5] & 0xff)) == (number & 0xffff)
                    && Checksum.of(b, icmp, len - ihl) == 0;
            if (ok) {
                int seq = (b[icmp + 6] & 0xff) << 8 | (b[icmp + 7] & 0xff);
                ok = java.util.Arrays.equals(b, icmp + 8, icmp + 8 + PAYLOAD, payload(number, seq), 0, PAYLOAD);
            }
            if (ok) {
                echoOk.incrementAndGet();
                lastIntactReply = System.nanoTime();
            } else {
                echoBad.incrementAndGet();
            }
        }
    }

    /** A local address with one socket, shared by the spokes that send from it. */
    private static final class Socket {
        final DatagramChannel channel;
        final InetAddress local;
        final List<Spoke> spokes = new ArrayList<>();

        Socket(InetAddress local) throws IOException {
            this.local = local;
            this.channel = DatagramChannel.open().bind(new InetSocketAddress(local, 0));
            channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
        }

        void send(byte[] b, int off, int len, InetSocketAddress to) {
            try {
                if (channel.send(ByteBuffer.wrap(b, off, len), to) == 0) {
                    UNSENT.incrementAndGet(); // the socket's send buffer was full: lost, as on a congested uplink
                }
            } catch (IOException e) {
                System.err.println("send from " + local + " failed: " + e);
            }
        }
    }

    private final long seed;
    private final Key hubKey;
    private final InetSocketAddress hubAddress;
    private final byte[] target;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<Integer, Spoke> bySenderIndex = new ConcurrentHashMap<>();
    private final AtomicLong echoSent = new AtomicLong(), echoOk = new AtomicLong(), echoBad = new AtomicLong();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Spoke> spokes = new ArrayList<>();

    private SpokeSimulator(long seed, Key hubKey, InetSocketAddress hubAddress, byte[] target) {
        this.seed = seed;
        this.hubKey = hubKey;
        this.hubAddress = hubAddress;
        this.target = target;
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress hub = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        Key hubKey = Key.fromBase64(args[2]);
        int count = Integer.parseInt(args[3]);
        long seed = Long.parseLong(args[4]);
        SpokeSimulator sim = new SpokeSimulator(seed, hubKey, hub, InetAddress.getByName(args[6]).getAddress());
        for (String source : args[5].split(",")) {
            sim.sockets.add(new Socket(InetAddress.getByName(source)));
        }
        for (int i = 0; i < count; i++) {
            Socket s = sim.sockets.get(i % sim.sockets.size());
            Spoke spoke = sim.new Spoke(i, s);
            s.spokes.add(spoke);
            sim.spokes.add(spoke);
        }
        sim.run(Double.parseDouble(args[7]));
    }

    private void run(double echoSeconds) {
        long start = System.nanoTime();
        System.out.println("simulating " + spokes.size() + " spokes on " + sockets.size() + " sockets, hub " + hubAddress);
        System.out.flush();
        Thread.ofPlatform().name("rx").daemon().start(this::receiveLoop);
        // Every spoke dials at once: the persistent keepalive's first packet starts its handshake.
        Results out = new Results(256);
        for (Spoke s : spokes) {
            s.core.setPersistentKeepalive(s.hub, KEEPALIVE_SECONDS, out.clear());
            s.transmit(out);
        }
        Thread.ofPlatform().name("timers").daemon().start(this::timerLoop);
        Thread.ofPlatform().name("echo").daemon().start(() -> echoLoop((long) (echoSeconds * 1e9)));
        long window = (long) ((2 * echoSeconds + 1) * 1e9);
        boolean allReported = false;
        for (long tick = 1; ; tick++) {
            LockSupport.parkNanos(start + tick * 1_000_000_000L - System.nanoTime());
            long now = System.nanoTime();
            int sessions = 0, replied = 0;
            long attempts = 0;
            for (Spoke s : spokes) {
                sessions += s.hub.hasSession() ? 1 : 0;
                replied += s.lastIntactReply != 0 && now - s.lastIntactReply < window ? 1 : 0;
                attempts += s.hub.stats().handshakeAttempts();
            }
            double t = (now - start) / 1e9;
            if (!allReported && sessions == spokes.size()) {
                allReported = true;
                System.out.printf("all %d sessions after %.1f s%n", sessions, t);
            }
            System.out.printf("t=%.0f spokes=%d sessions=%d echo_sent=%d echo_ok=%d echo_bad=%d replied=%d attempts=%d unsent=%d%n",
                    t, spokes.size(), sessions, echoSent.get(), echoOk.get(), echoBad.get(), replied, attempts, UNSENT.get());
            System.out.flush();
        }
    }

    /** One thread reads every socket (non-blocking, a selector): a thousand sockets need no thousand threads. */
    private void receiveLoop() {
        ByteBuffer in = ByteBuffer.allocate(65536);
        Results r = new Results(65536);
        try (java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
            for (Socket s : sockets) {
                s.channel.configureBlocking(false);
                s.channel.register(selector, java.nio.channels.SelectionKey.OP_READ, s);
            }
            while (true) {
                selector.select();
                for (java.nio.channels.SelectionKey key : selector.selectedKeys()) {
                    Socket s = (Socket) key.attachment();
                    InetSocketAddress from;
                    while ((from = receive(s, in)) != null) {
                        dispatch(s, from, in.array(), in.position(), r);
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            System.err.println("receiving failed: " + e);
            System.exit(1);
        }
    }

    private static InetSocketAddress receive(Socket s, ByteBuffer in) {
        try {
            in.clear();
            return (InetSocketAddress) s.channel.receive(in);
        } catch (IOException e) {
            System.err.println("receive on " + s.local + " failed: " + e);
            return null;
        }
    }

    private void dispatch(Socket s, InetSocketAddress from, byte[] buf, int len, Results r) {
        Spoke spoke = switch (Messages.classify(buf, len)) {
            case Constants.MESSAGE_RESPONSE, Constants.MESSAGE_COOKIE_REPLY, Constants.MESSAGE_TRANSPORT ->
                    bySenderIndex.get(Messages.receiverIndex(buf, 0));
            case Constants.MESSAGE_INITIATION -> addressee(s, buf, len);
            default -> null;
        };
        if (spoke != null) {
            spoke.receive(from, buf, len, r);
        }
    }

    /** The spoke on this socket whose public key the hub's initiation is addressed to: the one whose mac1 matches. */
    private static Spoke addressee(Socket s, byte[] buf, int len) {
        byte[] mac = new byte[Blake2s.MAC_LENGTH];
        for (Spoke spoke : s.spokes) {
            Blake2s.mac(spoke.mac1Key, buf, 0, Messages.INITIATION_MAC1, mac, 0);
            if (java.util.Arrays.equals(mac, 0, mac.length, buf, Messages.INITIATION_MAC1,
                    Messages.INITIATION_MAC1 + mac.length)) {
                return spoke;
            }
        }
        return null;
    }

    private void timerLoop() {
        Results fired = new Results(0);
        while (true) {
            long next = System.nanoTime() + 50_000_000L;
            for (Spoke s : spokes) {
                long n = s.core.tick(fired.clear());
                s.transmit(fired);
                if (n - next < 0) {
                    next = n;
                }
            }
            LockSupport.parkNanos(Math.max(1_000_000L, next - System.nanoTime()));
        }
    }

    /** Each spoke sends an echo every period, the spokes spread evenly over it. */
    private void echoLoop(long period) {
        Results r = new Results(PAYLOAD + 256);
        long start = System.nanoTime();
        for (long round = 1; ; round++) {
            for (int i = 0; i < spokes.size(); i++) {
                long at = start + round * period + i * period / spokes.size();
                long wait = at - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                spokes.get(i).sendEcho(r);
            }
        }
    }

    /** The echo payload of spoke {@code number}'s request {@code seq}: the same bytes on both sides, different per request. */
    private byte[] payload(int number, int seq) {
        byte[] p = new byte[PAYLOAD];
        new SplittableRandom(seed * 31 + ((long) number << 16 | seq)).nextBytes(p);
        return p;
    }

    private static byte[] echoRequest(byte[] source, byte[] destination, int id, int seq, byte[] payload) {
        int total = 20 + 8 + payload.length;
        byte[] p = new byte[total];
        p[0] = 0x45;
        p[2] = (byte) (total >> 8);
        p[3] = (byte) total;
        p[8] = 64; // TTL
        p[9] = 1; // ICMP
        System.arraycopy(source, 0, p, 12, 4);
        System.arraycopy(destination, 0, p, 16, 4);
        int ipSum = Checksum.of(p, 0, 20);
        p[10] = (byte) (ipSum >> 8);
        p[11] = (byte) ipSum;
        p[20] = 8; // echo request
        p[24] = (byte) (id >> 8);
        p[25] = (byte) id;
        p[26] = (byte) (seq >> 8);
        p[27] = (byte) seq;
        System.arraycopy(payload, 0, p, 28, payload.length);
        int icmpSum = Checksum.of(p, 20, total - 20);
        p[22] = (byte) (icmpSum >> 8);
        p[23] = (byte) icmpSum;
        return p;
    }
}
