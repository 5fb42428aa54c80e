package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.crypto.Key;

class UapiClientTest {
    private static final String PEER_A = "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376";
    private static final String PEER_B = "662e2b68c2ac2eb8f6d2d2d6d4c0e3b7b28a56a9e5f8a1b2c3d4e5f60718293a";

    @Test
    void readsEachPeerAndNeverTheDevicePrivateKey() throws IOException {
        String answer = """
                private_key=e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a
                listen_port=51820
                public_key=%s
                preshared_key=0000000000000000000000000000000000000000000000000000000000000000
                protocol_version=1
                endpoint=203.0.113.2:51820
                last_handshake_time_sec=1700000000
                last_handshake_time_nsec=500
                tx_bytes=35651584
                rx_bytes=720000
                persistent_keepalive_interval=25
                allowed_ip=198.18.2.0/24
                allowed_ip=198.19.0.2/32
                public_key=%s
                preshared_key=0000000000000000000000000000000000000000000000000000000000000000
                protocol_version=1
                last_handshake_time_sec=0
                last_handshake_time_nsec=0
                tx_bytes=0
                rx_bytes=0
                persistent_keepalive_interval=0
                errno=0

                """.formatted(PEER_A, PEER_B);
        List<PeerStatus> peers = UapiClient.parsePeers(answer);
        assertEquals(2, peers.size());
        PeerStatus a = peers.get(0);
        assertEquals(Key.fromHex(PEER_A), a.publicKey());
        assertEquals(Optional.of("203.0.113.2:51820"), a.endpoint());
        assertEquals(Optional.of(Instant.ofEpochSecond(1700000000, 500)), a.lastHandshake());
        assertTrue(a.established());
        assertEquals(35651584, a.txBytes());
        assertEquals(720000, a.rxBytes());
        assertEquals(25, a.persistentKeepalive());
        assertEquals(List.of("198.18.2.0/24", "198.19.0.2/32"), a.allowedIps());
        PeerStatus b = peers.get(1);
        assertFalse(b.established(), "last_handshake_time_sec=0 means no handshake yet");
        assertEquals(Optional.empty(), b.endpoint());
        assertFalse(peers.toString().contains("e84b5a6d"), "the device's private key is not kept");
    }

    @Test
    void anErrorAnswerIsAnException() {
        assertThrows(IOException.class, () -> UapiClient.parsePeers("errno=-5\n\n"));
    }

    @Test
    void asksOverTheUnixSocket(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("sltest0.sock");
        String answer = "private_key=e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\npublic_key=" + PEER_A
                + "\nlast_handshake_time_sec=1700000000\nrx_bytes=7\ntx_bytes=9\nerrno=0\n\n";
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread t = Thread.ofVirtual().start(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer req = ByteBuffer.allocate(64);
                    while (!new String(req.array(), 0, req.position(), StandardCharsets.US_ASCII).endsWith("\n\n")) {
                        c.read(req);
                    }
                    assertEquals("get=1\n\n", new String(req.array(), 0, req.position(), StandardCharsets.US_ASCII));
                    c.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            List<PeerStatus> peers = UapiClient.peers(sock, Duration.ofSeconds(5));
            t.join();
            assertEquals(1, peers.size());
            assertEquals(7, peers.getFirst().rxBytes());
            assertEquals(9, peers.getFirst().txBytes());
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("silent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            long start = System.nanoTime();
            assertThrows(IOException.class, () -> UapiClient.peers(sock, Duration.ofMillis(300)));
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "gave up after its timeout, not later");
        }
    }

    @Test
    void aSocketThatDoesNotAnswerFailsInsteadOfHanging(@TempDir Path dir) {
        Path missing = dir.resolve("nobody.sock");
        assertFalse(Files.exists(missing));
        assertThrows(IOException.class, () -> UapiClient.peers(missing, Duration.ofMillis(500)));
    }
}
