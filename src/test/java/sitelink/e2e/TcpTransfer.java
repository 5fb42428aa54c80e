package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import sitelink.e2e.tools.TcpSink;
import sitelink.e2e.tools.TcpSource;
import sitelink.testbed.Proc;
import sitelink.testbed.Namespace;

/**
 * A TCP transfer of pseudo-random bytes through the tunnel, hashed with SHA-256 on both ends by two small Java
 * programs ({@link TcpSource}, {@link TcpSink}) started inside the namespaces with this JDK.
 */
public final class TcpTransfer {
    public static final long MIB = 1 << 20;
    private static final int SINK_PORT = 5201;
    private static final Pattern DONE = Pattern.compile("(sent|received) (\\d+) sha256 ([0-9a-f]{64})");

    /** @param receiveSeconds from the sink's accept to the end of the stream: the transfer without the JVMs' start-up */
    public record Result(long sent, String sentSha256, long received, String receivedSha256, double receiveSeconds) {}

    private final Proc sink;
    private final Proc source;

    private TcpTransfer(Proc sink, Proc source) {
        this.sink = sink;
        this.source = source;
    }

    /** Starts sending {@code bytes} from {@code from} to {@code toAddress} in {@code to}; 0 means no rate limit. */
    public static TcpTransfer start(Namespace from, Namespace to, String toAddress, long bytes, long bytesPerSecond) {
        return start(from, to, toAddress, SINK_PORT, bytes, bytesPerSecond);
    }

    /** {@link #start(Namespace, Namespace, String, long, long)} to another TCP port (one a tunnel policy allows, say). */
    public static TcpTransfer start(Namespace from, Namespace to, String toAddress, int port, long bytes, long bytesPerSecond) {
        Proc sink = to.start(E2e.java(TcpSink.class, toAddress, Integer.toString(port)));
        E2e.await(Duration.ofSeconds(30), "the TCP sink to listen", () -> sink.output().contains("listening")
                || !sink.isAlive(), sink::tail);
        if (!sink.isAlive()) fail("TCP sink exited\n" + sink.tail());
        Proc source = from.start(E2e.java(TcpSource.class, toAddress, Integer.toString(port), Long.toString(bytes),
                Long.toString(bytesPerSecond)));
        return new TcpTransfer(sink, source);
    }

    /** Bytes the sink reported so far (in 4 MiB steps). */
    public long receivedSoFar() {
        return sink.lines().stream().filter(l -> l.startsWith("progress ")).mapToLong(l -> Long.parseLong(l.substring(9)))
                .max().orElse(0);
    }

    /** Ends both programs (by PID): for a transfer a test gives up on, so that a retry can use the port again. */
    public void abort() {
        source.close();
        sink.close();
    }

    /** Waits for both ends to finish and returns what each counted and hashed. */
    public Result await(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int sourceExit = source.waitFor(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        if (sourceExit != 0) fail("TCP source failed (exit " + sourceExit + ")\n" + source.tail() + "\n" + sink.tail());
        int sinkExit = sink.waitFor(Duration.ofNanos(Math.max(1_000_000_000L, deadline - System.nanoTime())));
        if (sinkExit != 0) fail("TCP sink failed (exit " + sinkExit + ")\n" + sink.tail());
        Matcher sent = done(source);
        Matcher received = done(sink);
        Matcher elapsed = Pattern.compile("elapsed_ns (\\d+)").matcher(sink.output());
        double seconds = elapsed.find() ? Long.parseLong(elapsed.group(1)) / 1e9 : Double.NaN;
        return new Result(Long.parseLong(sent.group(2)), sent.group(3), Long.parseLong(received.group(2)),
                received.group(3), seconds);
    }

    private static Matcher done(Proc p) {
        Matcher m = DONE.matcher(p.output());
        if (!m.find()) fail("no result line from " + p + "\n" + p.tail());
        return m;
    }
}
