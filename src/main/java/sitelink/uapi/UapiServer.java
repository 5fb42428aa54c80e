package sitelink.uapi;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import sitelink.device.DeviceControl;
import sitelink.os.process.FileTrust;

/**
 * The UAPI socket {@code /var/run/wireguard/IFACE.sock}, where {@code wg} finds a userspace WireGuard device.
 * As wireguard-go does: the directory is created 0755, the socket is 0600 (root only), a stale socket file left by
 * a dead process is replaced, and a live one makes {@link #start()} fail rather than steal the name. A directory that
 * was already there must be root's (or ours) and not writable by group or others: whoever could write it could put
 * their own socket where {@code wg} sends private keys, or move ours away.
 */
public final class UapiServer implements AutoCloseable {
    public static final Path DEFAULT_DIRECTORY = Path.of("/var/run/wireguard");
    private static final System.Logger LOG = System.getLogger(UapiServer.class.getName());

    private final String iface;
    private final Path socket;
    private final UapiProtocol protocol;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private ServerSocketChannel server;
    private Object fileKey;
    private Thread acceptor;
    private volatile boolean closed;

    public UapiServer(String iface, DeviceControl device) {
        this(iface, DEFAULT_DIRECTORY, device);
    }

    /** @param directory where IFACE.sock lives; tests pass a temporary directory */
    public UapiServer(String iface, Path directory, DeviceControl device) {
        if (iface.isEmpty() || iface.contains("/") || iface.startsWith(".")) {
            throw new IllegalArgumentException("'" + iface + "' is not an interface name");
        }
        this.iface = iface;
        this.socket = directory.resolve(iface + ".sock");
        this.protocol = new UapiProtocol(Objects.requireNonNull(device));
    }

    public Path socketPath() {
        return socket;
    }

    /** Binds the socket and starts answering. */
    public synchronized void start() throws IOException {
        if (server != null || closed) {
            throw new IllegalStateException("UAPI server for " + iface + " already started or closed");
        }
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        trustDirectory(dir);
        if (Files.exists(socket)) {
            if (answers(socket)) {
                throw new IOException("a UAPI server already answers on " + socket + ": is " + iface + " running?");
            }
            LOG.log(System.Logger.Level.INFO, "replacing stale UAPI socket " + socket);
        }
        // Bind in a private directory, make the socket 0600, then rename it into place: the JDK cannot set a
        // umask, and this way the socket is never reachable with looser permissions (wireguard-go uses umask 077).
        Path tmp = Files.createTempDirectory(dir, "." + iface + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path bound = tmp.resolve("s");
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(bound));
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            Files.move(bound, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fileKey = Files.readAttributes(socket, BasicFileAttributes.class).fileKey();
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(bound);
            throw e;
        } finally {
            Files.deleteIfExists(tmp);
        }
        server = ch;
        acceptor = Thread.ofPlatform().daemon().name("uapi-" + iface).start(this::acceptLoop);
    }

    /** Checked after any creation above, so a directory someone else made in between is caught too. */
    private static void trustDirectory(Path dir) throws IOException {
        FileTrust.Chain c = FileTrust.examine(dir);
        if (!c.file().isDirectory()) {
            throw new IOException(dir + " is not a directory; remove it so that the UAPI socket directory can be created");
        }
        List<FileTrust.Doubt> doubts = c.doubts(FileTrust.currentUid());
        if (!doubts.isEmpty()) {
            throw new IOException("the UAPI socket directory " + doubts.getFirst().text());
        }
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.ERROR, "UAPI accept on " + socket + " failed: " + e.getMessage());
                }
                return;
            }
            clients.add(client);
            Thread.ofVirtual().name("uapi-" + iface + "-client").start(() -> serve(client));
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            InputStream in = new BufferedInputStream(Channels.newInputStream(client));
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(client));
            protocol.serve(in, out);
        } catch (IOException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.DEBUG, "UAPI connection ended: " + e.getMessage());
            }
        } finally {
            clients.remove(client);
        }
    }

    /** True when something accepts connections on {@code path}: a live server, not a stale file. */
    public static boolean answers(Path path) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops accepting, hangs up on open connections and removes the socket file (if it is still ours). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
        for (SocketChannel c : clients) {
            try {
                c.close();
            } catch (IOException e) {
                // already gone
            }
        }
        try {
            Object now = Files.readAttributes(socket, BasicFileAttributes.class).fileKey();
            if (Objects.equals(now, fileKey)) {
                Files.delete(socket);
            }
        } catch (NoSuchFileException e) {
            // someone removed it already
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + socket + ": " + e.getMessage());
        }
        try {
            acceptor.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
