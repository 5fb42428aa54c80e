package sitelink.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UapiServerTest {
    @TempDir
    Path tmp;

    private final FakeDevice device = new FakeDevice();

    @Test
    void servesSeveralRequestsPerConnectionOnA0600Socket() throws Exception {
        Path dir = tmp.resolve("wireguard");
        try (UapiServer server = new UapiServer("sltest0", dir, device)) {
            server.start();
            assertEquals(dir.resolve("sltest0.sock"), server.socketPath());
            assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socketPath())));
            assertEquals(1, Files.list(dir).count(), "no temporary leftovers");
            try (SocketChannel c = connect(server.socketPath())) {
                InputStream in = Channels.newInputStream(c);
                send(c, "set=1\nlisten_port=4242\n\n");
                assertEquals("errno=0\n\n", readAnswer(in));
                send(c, "get=1\n\n");
                assertEquals("listen_port=4242\nerrno=0\n\n", readAnswer(in));
                send(c, "set=1\nbogus=1\n\n");
                assertEquals("errno=-22\n\n", readAnswer(in));
            }
            assertEquals(1, device.applied.size());
        }
    }

    /**
     * A socket directory that was already there must be root's (or ours) and not writable by group or others:
     * whoever could write it could swap the socket wg sends private keys to.
     */
    @Test
    void refusesADirectoryOthersCanWriteOrAnotherUserOwns() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("wireguard"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        UapiServer open = new UapiServer("sltest5", dir, device);
        IOException e = assertThrows(IOException.class, open::start);
        assertEquals("the UAPI socket directory " + dir + " is writable by group or others (mode 0777); restrict it "
                + "with: chmod go-w " + dir, e.getMessage());
        assertEquals(0, Files.list(dir).count(), "nothing was created in it");
        open.close();

        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        if ((Integer) Files.getAttribute(dir, "unix:uid") == 0) {
            Files.setAttribute(dir, "unix:uid", 65534);
            UapiServer theirs = new UapiServer("sltest5", dir, device);
            e = assertThrows(IOException.class, theirs::start);
            assertTrue(e.getMessage().startsWith("the UAPI socket directory " + dir + " is owned by uid 65534"), e.getMessage());
            theirs.close();
            Files.setAttribute(dir, "unix:uid", 0);
        }
        try (UapiServer server = new UapiServer("sltest5", dir, device)) {
            server.start();
            assertTrue(UapiServer.answers(server.socketPath()), "root's 0755 directory is fine");
        }
    }

    @Test
    void refusesToStartWhileAnotherServerAnswers() throws Exception {
        try (UapiServer first = new UapiServer("sltest1", tmp, device)) {
            first.start();
            UapiServer second = new UapiServer("sltest1", tmp, device);
            IOException e = assertThrows(IOException.class, second::start);
            assertTrue(e.getMessage().contains("already answers"), e.getMessage());
            second.close();
            assertTrue(Files.exists(first.socketPath()), "the loser does not remove the winner's socket");
            assertTrue(UapiServer.answers(first.socketPath()));
        }
    }

    @Test
    void replacesAStaleSocketFile() throws Exception {
        Path stale = tmp.resolve("sltest2.sock");
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(stale));
        dead.close(); // the file stays behind, as after a crash
        assertTrue(Files.exists(stale));
        assertFalse(UapiServer.answers(stale));
        try (UapiServer server = new UapiServer("sltest2", tmp, device)) {
            server.start();
            assertTrue(UapiServer.answers(stale));
        }
    }

    @Test
    void closeRemovesTheSocketAndHangsUpOnClients() throws Exception {
        UapiServer server = new UapiServer("sltest3", tmp, device);
        server.start();
        try (SocketChannel c = connect(server.socketPath())) {
            send(c, "get=1\n\n");
            InputStream in = Channels.newInputStream(c);
            assertEquals("errno=0\n\n", readAnswer(in));
            server.close();
            assertFalse(Files.exists(server.socketPath()));
            assertEquals(-1, in.read(), "connection closed by the server");
        }
    }

    static SocketChannel connect(Path p) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(p));
        return c;
    }

    static void send(SocketChannel c, String s) throws IOException {
        var buf = java.nio.ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
        while (buf.hasRemaining()) {
            c.write(buf);
        }
    }

    /** Reads up to and including the blank line that ends an answer. */
    static String readAnswer(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.toString().endsWith("\n\n")) {
                return b.toString();
            }
        }
        return b.toString();
    }
}
