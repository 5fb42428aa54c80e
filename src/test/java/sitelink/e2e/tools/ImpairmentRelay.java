package sitelink.e2e.tools;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * A WAN in a namespace (this kernel has no netem): a UDP proxy between two gateways that drops, duplicates, reorders,
 * delays and corrupts datagrams at configured rates. Runs in the middle namespace of A – relay – B:
 * <pre>
 *   A (A_PEER) ──► A_SIDE  [relay]  B_SIDE ──► B (B_PEER)     A's endpoint for B is A_SIDE,
 *   A (last A source) ◄── A_SIDE     B_SIDE ◄── B              B's endpoint for A is B_SIDE.
 * </pre>
 * What arrives on A_SIDE leaves from B_SIDE to B_PEER; what arrives on B_SIDE leaves from A_SIDE to where A last sent
 * from (A_PEER until then). Arguments are KEY=VALUE: a_side, b_side, a_peer, b_peer (ADDRESS:PORT), loss, dup, reorder,
 * corrupt (probabilities per datagram), delay_ms (every datagram), reorder_ms (the extra delay of a reordered one),
 * seed. Each direction draws its decisions from its own generator seeded from seed, so the n-th datagram of a direction
 * meets the same fate in every run. Prints "stats a2b|b2a KEY=N ..." every second and at exit; "dlen_N" counts the
 * dropped datagrams of length N (a test sizes its probe packets to tell them apart).
 * Corruption flips one byte but never in a handshake's MAC2 (its last 16 bytes), which a receiver not under load
 * ignores by design, so every corrupted datagram must be rejected.
 */
public final class ImpairmentRelay {
    private record Pending(long dueNanos, long seq, ByteBuffer data) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            Pending p = (Pending) o;
            int c = Long.compare(dueNanos, p.dueNanos);
            return c != 0 ? c : Long.compare(seq, p.seq);
        }
    }

    /** One direction: receive on {@code in}, impair, send from {@code out} to {@code to}. */
    private static final class Direction {
        final String name;
        final DatagramChannel in;
        final DatagramChannel out;
        final AtomicReference<SocketAddress> to;
        final AtomicReference<SocketAddress> learnSourceInto;
        final SplittableRandom random;
        final DelayQueue<Pending> queue = new DelayQueue<>();
        final AtomicLong seq = new AtomicLong();
        final LongAdder received = new LongAdder(), forwarded = new LongAdder(), dropped = new LongAdder(),
                duplicated = new LongAdder(), reordered = new LongAdder(), corrupted = new LongAdder();
        final Map<Integer, LongAdder> droppedByLength = new ConcurrentHashMap<>();

        Direction(String name, DatagramChannel in, DatagramChannel out, AtomicReference<SocketAddress> to,
                  AtomicReference<SocketAddress> learnSourceInto, long seed) {
            this.name = name;
            this.in = in;
            this.out = out;
            this.to = to;
            this.learnSourceInto = learnSourceInto;
            this.random = new SplittableRandom(seed);
        }

        String stats() {
            StringBuilder b = new StringBuilder("stats ").append(name);
            b.append(" received=").append(received.sum()).append(" forwarded=").append(forwarded.sum())
                    .append(" dropped=").append(dropped.sum()).append(" duplicated=").append(duplicated.sum())
                    .append(" reordered=").append(reordered.sum()).append(" corrupted=").append(corrupted.sum());
            new TreeMap<>(droppedByLength).forEach((len, n) -> b.append(" dlen_").append(len).append('=').append(n.sum()));
            return b.toString();
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> cfg = new TreeMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            cfg.put(a.substring(0, eq), a.substring(eq + 1));
        }
        double loss = d(cfg, "loss"), dup = d(cfg, "dup"), reorder = d(cfg, "reorder"), corrupt = d(cfg, "corrupt");
        long delay = (long) (d(cfg, "delay_ms") * 1e6), reorderDelay = (long) (dd(cfg, "reorder_ms", 3) * 1e6);
        long seed = Long.parseLong(cfg.getOrDefault("seed", "1"));

        DatagramChannel aSide = DatagramChannel.open().bind(addr(cfg.get("a_side")));
        DatagramChannel bSide = DatagramChannel.open().bind(addr(cfg.get("b_side")));
        AtomicReference<SocketAddress> aPeer = new AtomicReference<>(addr(cfg.get("a_peer")));
        AtomicReference<SocketAddress> bPeer = new AtomicReference<>(addr(cfg.get("b_peer")));
        Direction a2b = new Direction("a2b", aSide, bSide, bPeer, aPeer, seed * 2 + 1);
        Direction b2a = new Direction("b2a", bSide, aSide, aPeer, null, seed * 2 + 2);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println(a2b.stats());
            System.out.println(b2a.stats());
            System.out.flush();
        }));
        for (Direction d : new Direction[] {a2b, b2a}) {
            Thread.ofPlatform().daemon().name(d.name + "-in").start(() -> receive(d, loss, dup, reorder, corrupt,
                    delay, reorderDelay));
            Thread.ofPlatform().daemon().name(d.name + "-out").start(() -> send(d));
        }
        System.out.println("relaying " + cfg);
        System.out.flush();
        while (true) {
            Thread.sleep(1000);
            System.out.println(a2b.stats());
            System.out.println(b2a.stats());
            System.out.flush();
        }
    }

    private static void receive(Direction d, double loss, double dup, double reorder, double corrupt, long delay,
                                long reorderDelay) {
        try {
            while (true) {
                ByteBuffer buf = ByteBuffer.allocate(65536);
                SocketAddress from = d.in.receive(buf);
                buf.flip();
                d.received.increment();
                if (d.learnSourceInto != null) d.learnSourceInto.set(from);
                // Always draw the same number of values per datagram: decisions depend only on seed and sequence.
                double rLoss = d.random.nextDouble(), rDup = d.random.nextDouble(), rReorder = d.random.nextDouble(),
                        rCorrupt = d.random.nextDouble();
                int corruptAt = d.random.nextInt(1 << 16), corruptXor = 1 + d.random.nextInt(255);
                if (rLoss < loss) {
                    d.dropped.increment();
                    d.droppedByLength.computeIfAbsent(buf.remaining(), k -> new LongAdder()).increment();
                    continue;
                }
                if (rCorrupt < corrupt && buf.remaining() > 0) {
                    int type = buf.get(0);
                    int span = (type == 1 || type == 2) && buf.remaining() > 16 ? buf.remaining() - 16 : buf.remaining();
                    buf.put(corruptAt % span, (byte) (buf.get(corruptAt % span) ^ corruptXor));
                    d.corrupted.increment();
                }
                long due = System.nanoTime() + delay;
                if (rReorder < reorder) {
                    due += reorderDelay;
                    d.reordered.increment();
                }
                d.queue.put(new Pending(due, d.seq.incrementAndGet(), buf));
                if (rDup < dup) {
                    d.queue.put(new Pending(due, d.seq.incrementAndGet(), buf.duplicate()));
                    d.duplicated.increment();
                }
            }
        } catch (Exception e) {
            System.out.println(d.name + " receive failed: " + e);
        }
    }

    private static void send(Direction d) {
        while (true) {
            try {
                Pending p = d.queue.take();
                d.out.send(p.data().duplicate(), d.to.get());
                d.forwarded.increment();
            } catch (Exception e) {
                // A send can fail (no route while a test moves an address): that datagram is lost, like on a WAN.
                System.out.println(d.name + " send failed: " + e);
            }
        }
    }

    private static double d(Map<String, String> cfg, String key) {
        return dd(cfg, key, 0);
    }

    private static double dd(Map<String, String> cfg, String key, double dflt) {
        return Double.parseDouble(cfg.getOrDefault(key, Double.toString(dflt)));
    }

    private static InetSocketAddress addr(String text) {
        int colon = text.lastIndexOf(':');
        return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    }
}
