package sitelink.policy;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import sitelink.packet.PacketView;

/**
 * {@link Policy#check} on the data path, with the default limits: an ACK of one of {@code flows} established TCP
 * flows picked at random, the two directions in turn (what almost every packet is; 1000 flows fit in the caches,
 * 30000 do not), and a SYN flood of new flows from 64 hosts into a full connection table (each SYN to a new port,
 * never answered, 100,000 a second on the policy's clock).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PolicyBench {
    /** Flows per host, under the default per-source limit. */
    private static final int PER_HOST = 4096;

    @Param({"1000", "30000"})
    public int flows;

    private Policy policy;
    private final PacketView view = new PacketView();
    /** One IPv4/TCP header, rewritten in place (the policy reads no checksum). */
    private final byte[] packet = new byte[40];
    private final int[] order = new int[1 << 16];
    private long now = 1_000_000_000_000L;
    private int next;

    @Setup
    public void setUp() {
        policy = new Policy("bench", Rules.parseAll("allow to tcp 198.18.2.0/24 port 443"), Policy.Limits.DEFAULT,
                line -> { });
        packet[0] = 0x45;
        packet[3] = 40;
        packet[9] = 6;
        packet[32] = 0x50; // TCP header length 20
        for (int i = 0; i < flows; i++) { // open and answer each flow, then acknowledge the answer
            segment(Direction.TO_REMOTE, host(i), 10, port(i), 443, 0x02);
            segment(Direction.FROM_REMOTE, 10, host(i), 443, port(i), 0x12);
            segment(Direction.TO_REMOTE, host(i), 10, port(i), 443, 0x10);
        }
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < order.length; i++) {
            order[i] = r.nextInt(flows);
        }
    }

    private static int host(int flow) {
        return 5 + flow / PER_HOST;
    }

    private static int port(int flow) {
        return 1024 + flow % PER_HOST;
    }

    private Verdict segment(Direction d, int src, int dst, int sport, int dport, int flags) {
        byte[] p = packet;
        p[12] = (byte) 198;
        p[13] = 18;
        p[14] = (byte) (d == Direction.TO_REMOTE ? 1 : 2);
        p[15] = (byte) src;
        p[16] = (byte) 198;
        p[17] = 18;
        p[18] = (byte) (d == Direction.TO_REMOTE ? 2 : 1);
        p[19] = (byte) dst;
        p[20] = (byte) (sport >>> 8);
        p[21] = (byte) sport;
        p[22] = (byte) (dport >>> 8);
        p[23] = (byte) dport;
        p[33] = (byte) flags;
        view.parse(p, 0, p.length);
        return policy.check(d, view, now);
    }

    /** An ACK of a random established flow, the two directions in turn. */
    @Benchmark
    public Verdict establishedFlow() {
        int n = next++;
        int flow = order[n & (order.length - 1)];
        now += 1000;
        return (n & 1) == 0 ? segment(Direction.TO_REMOTE, host(flow), 10, port(flow), 443, 0x10)
                : segment(Direction.FROM_REMOTE, 10, host(flow), 443, port(flow), 0x10);
    }

    /** A SYN to a new port from one of 64 hosts (besides the established flows), never answered. */
    @Benchmark
    public Verdict synFlood() {
        int n = next++;
        now += 10_000;
        return segment(Direction.TO_REMOTE, 128 + (n & 63), 10, 1024 + ((n >>> 6) % 60000), 443, 0x02);
    }
}
