package sitelink.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import sitelink.os.host.Netns;

/**
 * A TCP transfer from a client in one namespace to a server in another: pseudo-random bytes (no block repeats, so a
 * reordered or duplicated segment would change the digest), SHA-256 on both ends.
 */
public final class Transfer {
    public static final int PORT = 5201;
    private static final int CHUNK = 256 * 1024;

    /** What arrived: the byte counts, how long from connect to the receiver's end of stream, and both digests. */
    public record Result(long sent, long received, Duration elapsed, String sentSha256, String receivedSha256) {
        public boolean intact() {
            return sent == received && sentSha256.equals(receivedSha256);
        }

        public double megabitsPerSecond() {
            return received * 8 / 1e6 / Math.max(1e-9, elapsed.toNanos() / 1e9);
        }
    }

    private Transfer() {
    }

    /** Sends {@code bytes} from {@code client}'s namespace to a server at {@code serverAddress} in {@code server}'s. */
    public static Result run(Netns client, Netns server, InetAddress serverAddress, long bytes, Duration timeout)
            throws Exception {
        InetSocketAddress at = new InetSocketAddress(serverAddress, PORT);
        // The listening socket is created on the server's thread, so it lives in the server's namespace.
        ServerSocketChannel listener = server.call(() -> ServerSocketChannel.open().bind(at), Duration.ofSeconds(5));
        try (listener) {
            Future<Received> receiving = server.submit(() -> receive(listener));
            long start = System.nanoTime();
            byte[] sentDigest = client.call(() -> send(at, bytes), timeout);
            Received got = receiving.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Result(bytes, got.bytes(), Duration.ofNanos(got.endNanos() - start), hex(sentDigest),
                    hex(got.sha256()));
        }
    }

    private record Received(long bytes, long endNanos, byte[] sha256) {
    }

    private static byte[] send(InetSocketAddress to, long bytes) throws IOException {
        MessageDigest sha = sha256();
        SplittableRandom random = new SplittableRandom(bytes);
        byte[] chunk = new byte[CHUNK];
        try (SocketChannel ch = SocketChannel.open(to)) {
            for (long left = bytes; left > 0; ) {
                int n = (int) Math.min(CHUNK, left);
                random.nextBytes(chunk);
                sha.update(chunk, 0, n);
                ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                left -= n;
            }
            ch.shutdownOutput();
        }
        return sha.digest();
    }

    /** Reads to end of stream. */
    private static Received receive(ServerSocketChannel listener) throws IOException {
        MessageDigest sha = sha256();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        long total = 0;
        try (SocketChannel ch = listener.accept()) {
            int n;
            while ((n = ch.read(buf.clear())) >= 0) {
                sha.update(buf.array(), 0, n);
                total += n;
            }
        }
        return new Received(total, System.nanoTime(), sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
