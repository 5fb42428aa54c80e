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
                Optional.of(t), true, true, 1, Optional.of(t), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 7, 9, 1, 1, 25, 0, new TreeMap<>(),
                List.of(Prefix.parse("198.18.2.0/24")));
        return new DeviceStatus("sltest0", "office-a", Optional.empty(), 51820, t, new TreeMap<>(), List.of(peer));
    }

    /** Serves one connection on {@code sock}: checks the request, then writes {@code answer} (null: write nothing). */
    private static Thread serveOnce(ServerSocketChannel server, String answer) {
        return Thread.ofVirtual().start(() -> {
            try (SocketChannel c = server.accept()) {
                ByteBuffer req = ByteBuffer.allocate(64);
                while (!new String(req.array(), 0, req.position(), StandardCharsets.US_ASCII).endsWith("\n\n")) {
                    if (c.read(req) < 0) {
                        return;
                    }
                }
                assertEquals("get_status=1\n\n", new String(req.array(), 0, req.position(), StandardCharsets.US_ASCII));
                if (answer != null) {
                    c.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Test
    void asksGetStatusOverTheUnixSocketAndParsesTheAnswer(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("sltest0.sock");
        DeviceStatus sent = sample();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread t = serveOnce(server, StatusLines.format(sent) + "errno=0\n\n");
            DeviceStatus got = Gateways.status(sock, Duration.ofSeconds(5));
            t.join();
            assertEquals(sent, got);
            assertEquals(7, got.peers().getFirst().rxBytes());
        }
    }

    @Test
    void anErrorAnswerIsAnExceptionNamingIt(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("sltest1.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            serveOnce(server, "errno=-5\n\n");
            IOException e = assertThrows(IOException.class, () -> Gateways.status(sock, Duration.ofSeconds(5)));
            assertEquals("sltest1 answered errno=-5", e.getMessage());
        }
    }

    @Test
    void aDeviceThatClosesWithoutAStatusIsNamedAsNotSitelink(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("wg0.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            serveOnce(server, null); // as wireguard-go does with a get_status it does not know
            IOException e = assertThrows(IOException.class, () -> Gateways.status(sock, Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("wireguard-go does not answer get_status"), e.getMessage());
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
    void aMissingSocketFailsInsteadOfHanging(@TempDir Path dir) {
        Path missing = dir.resolve("nobody.sock");
        assertFalse(Files.exists(missing));
        assertThrows(IOException.class, () -> Gateways.status(missing, Duration.ofMillis(500)));
    }
}
