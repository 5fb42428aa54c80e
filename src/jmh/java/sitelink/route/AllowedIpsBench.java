package sitelink.route;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Random;
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

/**
 * Cryptokey routing per packet: {@link AllowedIps#lookup(byte[], int, int)} of an IPv4 destination in a table of
 * {@code prefixes} random prefixes (lengths 8..32; Prefix clears host bits, owned by 16 peers), for addresses inside some prefix (hit) and
 * random addresses (mostly miss, the walk still descends the trie).
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.Throughput, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AllowedIpsBench {
    private static final int ADDRESSES = 4096;

    @Param("1000")
    public int prefixes;

    private final AllowedIps<Integer> table = new AllowedIps<>();
    /** ADDRESSES IPv4 addresses back to back; hits[k] lies in one of the table's prefixes. */
    private final byte[] hits = new byte[4 * ADDRESSES];
    private final byte[] random = new byte[4 * ADDRESSES];
    private int i;

    @Setup
    public void setUp() throws UnknownHostException {
        Random r = new Random(7);
        Prefix[] inserted = new Prefix[prefixes];
        for (int k = 0; k < prefixes; k++) {
            byte[] a = new byte[4];
            r.nextBytes(a);
            int len = 8 + r.nextInt(25);
            Prefix p = new Prefix(InetAddress.getByAddress(a), len);
            table.insert(p, k % 16);
            inserted[k] = p;
        }
        for (int k = 0; k < ADDRESSES; k++) {
            Prefix p = inserted[r.nextInt(prefixes)];
            byte[] a = p.address().getAddress();
            int host = r.nextInt();
            int bits = ((a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff))
                    | (p.length() == 32 ? 0 : host >>> p.length());
            for (int b = 0; b < 4; b++) {
                hits[4 * k + b] = (byte) (bits >>> (24 - 8 * b));
            }
        }
        r.nextBytes(random);
        for (int k = 0; k < ADDRESSES; k++) {
            if (table.lookup(hits, 4 * k, 4) == null) {
                throw new IllegalStateException("address " + k + " should hit");
            }
        }
    }

    @Benchmark
    public Integer lookupHit() {
        int k = i++ & (ADDRESSES - 1);
        return table.lookup(hits, 4 * k, 4);
    }

    @Benchmark
    public Integer lookupRandom() {
        int k = i++ & (ADDRESSES - 1);
        return table.lookup(random, 4 * k, 4);
    }
}
