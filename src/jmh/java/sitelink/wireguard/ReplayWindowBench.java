package sitelink.wireguard;

import java.util.Random;
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

/**
 * The replay check a receiver does for every transport message: {@link ReplayWindow#check} before decryption and
 * {@link ReplayWindow#update} after it, as {@link Keypair#decrypt} calls them.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.Throughput, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ReplayWindowBench {
    private static final int SHUFFLED = 1 << 16;

    private ReplayWindow window;
    private long counter;
    /** Offsets that reorder each run of 256 counters, as multi-queue senders do; all stay within the window. */
    private final long[] reorder = new long[SHUFFLED];
    private int i;

    @Setup
    public void setUp() {
        window = new ReplayWindow();
        Random r = new Random(1);
        for (int base = 0; base < SHUFFLED; base += 256) {
            for (int k = 0; k < 256; k++) {
                reorder[base + k] = base + k;
            }
            for (int k = 255; k > 0; k--) { // Fisher-Yates within the run
                int j = r.nextInt(k + 1);
                long t = reorder[base + k];
                reorder[base + k] = reorder[base + j];
                reorder[base + j] = t;
            }
        }
    }

    /** The common case: counters arrive in order. */
    @Benchmark
    public boolean inOrder() {
        long c = counter++;
        return window.check(c) && window.update(c);
    }

    /** Counters reordered within runs of 256 (every one fresh, inside the window). */
    @Benchmark
    public boolean reordered() {
        long c = counter + reorder[i];
        if (++i == SHUFFLED) {
            i = 0;
            counter += SHUFFLED;
        }
        return window.check(c) && window.update(c);
    }

    /** A replayed counter: rejected by check alone, before any decryption would be spent. */
    @Benchmark
    public boolean replayRejected() {
        return window.check(0);
    }
}
