package sitelink.os.socket;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The syslog sender's TCP connection over loopback: what it tells about a peer that is there, and one that left. */
class TcpStreamTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final byte[] DATA = "12 hello, world".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aLivePeerAcknowledgesWhatWasWritten() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             TcpStream s = TcpStream.connect(address(server), TIMEOUT);
             Socket peer = server.accept()) {
            peer.setSoTimeout(5000);
            s.write(DATA, TIMEOUT);
            s.awaitAcknowledged(TIMEOUT);
            assertArrayEquals(DATA, peer.getInputStream().readNBytes(DATA.length));
            assertFalse(s.peerClosed());
        }
    }

    /**
     * The peer closed before our data reached it (its FIN may or may not be here yet): the write still succeeds
     * locally, the peer answers it with a reset, and the wait for the acknowledgement says the data was lost.
     */
    @Test
    void dataWrittenAfterThePeerClosedIsNeverAcknowledged() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             TcpStream s = TcpStream.connect(address(server), TIMEOUT)) {
            server.accept().close();
            s.write(DATA, TIMEOUT);
            ErrnoException e = assertThrows(ErrnoException.class, () -> s.awaitAcknowledged(TIMEOUT));
            assertTrue(e.errno() == Libc.EPIPE || e.errno() == Libc.ECONNRESET, e.getMessage());
        }
    }

    @Test
    void aClosedPeerIsSeenBeforeWriting() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             TcpStream s = TcpStream.connect(address(server), TIMEOUT)) {
            try (Socket peer = server.accept()) {
                peer.getOutputStream().write("a collector does not talk".getBytes(StandardCharsets.US_ASCII));
            }
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!s.peerClosed()) { // the FIN is behind the bytes the peer sent: they are read past
                assertTrue(System.nanoTime() < deadline, "the peer's FIN never showed");
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void nobodyListeningIsRefused() throws Exception {
        InetSocketAddress free;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = address(server);
        }
        ErrnoException e = assertThrows(ErrnoException.class, () -> TcpStream.connect(free, TIMEOUT));
        assertEquals(Libc.ECONNREFUSED, e.errno(), e.getMessage());
    }

    private static InetSocketAddress address(ServerSocket server) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }
}
