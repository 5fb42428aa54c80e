package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.crypto.Key;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;
import sitelink.route.Prefix;
import sitelink.uapi.StatusLines;

/** The status client that {@code sitelink status}, {@code diagnose} and the demo share, against a fake socket. */
class GatewaysTest {
    private static final Key PEER = Key.fromHex("58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376");

    private static DeviceStatus sample() {
        Instant t = Instant.ofEpochMilli(1_700_000_000_000L);
        PeerStatus peer = new PeerStatus(PEER, "office-b", Optional.of(new InetSocketAddress("198.51.100.2", 51820)),
                Optional.of(t), true, true, 1, Optional.of(t), Optional.empty(), 0, Optional.empty(), Optional.empty(),
                Optional.empty(),
                Optional.empty(), Optional.empty(), 7, 9, 1, 1, 25, 0, new TreeMap<>(),
                List.of(Prefix.parse("198.18.2.0/24")), Optional.empty(), Optional.empty());
        return new DeviceStatus("sltest0", "office-a", Optional.empty(), 51820, t, new TreeMap<>(), List.of(peer));
    }

    /**
     * Serves one connection: reads the request up to its empty line, then writes {@code answer} (null: writes nothing
     * and closes). Completes with the request, which the test asserts on its own thread.
     */
    private static CompletableFuture<String> serveOnce(ServerSocketChannel server, String answer) {
        return CompletableFuture.supplyAsync(() -> {
            try (SocketChannel c = server.accept()) {
                String got = readRequest(c);
                if (answer != null) {
                    c.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII)));
                }
                return got;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, Executors.newVirtualThreadPerTaskExecutor());
    }

    /** Reads a request up to its empty line (or the end of the stream). */
    private static String readRequest(SocketChannel c) throws IOException {
        ByteBuffer req = ByteBuffer.allocate(64);
        String got = "";
        while (!got.endsWith("\n\n") && c.read(req) >= 0) {
            got = new String(req.array(), 0, req.position(), StandardCharsets.US_ASCII);
        }
        return got;
    }

    @Test
    void asksGetStatusOverTheUnixSocketAndParsesTheAnswer(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("sltest0.sock");
        DeviceStatus sent = sample();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<String> request = serveOnce(server, StatusLines.format(sent) + "errno=0\n\n");
            DeviceStatus got = Gateways.status(sock, Duration.ofSeconds(5));
            assertEquals("get_status=1\n\n", request.get(5, TimeUnit.SECONDS));
            assertEquals(sent, got);
            assertEquals(7, got.peers().getFirst().rxBytes());
        }
    }

    @Test
    void anErrorAnswerIsAnExceptionNamingIt(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("sltest1.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<String> request = serveOnce(server, "errno=-5\n\n");
            IOException e = assertThrows(IOException.class, () -> Gateways.status(sock, Duration.ofSeconds(5)));
            assertEquals("sltest1 answered errno=-5", e.getMessage());
            assertEquals("get_status=1\n\n", request.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void aDeviceThatClosesWithoutAStatusIsNamedAsNotSitelink(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("wg0.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<String> request = serveOnce(server, null); // as wireguard-go does with get_status
            IOException e = assertThrows(IOException.class, () -> Gateways.status(sock, Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("wireguard-go does not answer get_status"), e.getMessage());
            assertEquals("get_status=1\n\n", request.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("silent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> Gateways.status(sock, Duration.ofMillis(300)));
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "gave up after its timeout, not later");
            assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
        }
    }

    @Test
    void anInterruptedCallerIsReleasedAtOnce(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("stuck.sock");
        // The server closes first: a test failing before the caller connected leaves no accept blocked.
        try (var stuck = Executors.newVirtualThreadPerTaskExecutor();
             ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<String> request = new CompletableFuture<>();
            stuck.submit(() -> { // a gateway that reads the request and never answers, until the caller hangs up
                try (SocketChannel c = server.accept()) {
                    request.complete(readRequest(c));
                    while (c.read(ByteBuffer.allocate(64)) >= 0) {
                        // the caller sends nothing more
                    }
                }
                return null;
            });
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    Gateways.status(sock, Duration.ofSeconds(60));
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            assertEquals("get_status=1\n\n", request.get(5, TimeUnit.SECONDS), "the caller connected and asked");
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (caller.getState() != Thread.State.TIMED_WAITING) { // waiting for the answer (60 s)
                assertTrue(System.nanoTime() < deadline, "the caller never waited for the answer: "
                        + caller.getState());
                Thread.onSpinWait();
            }
            caller.interrupt();
            Throwable t = outcome.get(10, TimeUnit.SECONDS); // a reader left blocked would hold it for 60 s
            assertTrue(t instanceof IOException, String.valueOf(t));
        }
    }

    @Test
    void aMissingSocketFailsInsteadOfHanging(@TempDir Path dir) {
        Path missing = dir.resolve("nobody.sock");
        assertFalse(Files.exists(missing));
        assertThrows(IOException.class, () -> Gateways.status(missing, Duration.ofMillis(500)));
    }
}
