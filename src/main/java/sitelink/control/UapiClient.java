package sitelink.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import sitelink.crypto.Key;
import sitelink.uapi.UapiServer;

/**
 * A client of a running device's UAPI socket (/var/run/wireguard/IFACE.sock), as {@code wg show} is: it asks
 * {@code get=1} and reads the peers. The answer also carries the device's private key; that line is skipped while
 * parsing and never kept.
 */
public final class UapiClient {
    private UapiClient() {
    }

    public static Path socket(String iface) {
        return UapiServer.DEFAULT_DIRECTORY.resolve(iface + ".sock");
    }

    /** The peers the device at {@code socket} reports; an IOException when it does not answer within {@code timeout}. */
    public static List<PeerStatus> peers(Path socket, Duration timeout) throws IOException {
        return parsePeers(request(socket, "get=1\n\n", timeout));
    }

    /** Sends {@code request} (ending with an empty line) and returns the answer up to and including its empty line. */
    static String request(Path socket, String request, Duration timeout) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
             var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<String> answer = executor.submit(() -> {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ByteBuffer req = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
                while (req.hasRemaining()) {
                    ch.write(req);
                }
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(4096);
                while (ch.read(buf.clear()) > 0) {
                    got.write(buf.array(), 0, buf.position());
                    if (got.toString(StandardCharsets.UTF_8).endsWith("\n\n")) {
                        break;
                    }
                }
                return got.toString(StandardCharsets.UTF_8);
            });
            try {
                return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                ch.close(); // unblocks the reader
                throw new IOException("no answer on " + socket + " within " + timeout.toMillis() + " ms");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while asking " + socket);
            }
        }
    }

    /** The peers of a {@code get} answer; an IOException when it ends with a non-zero errno. */
    static List<PeerStatus> parsePeers(String answer) throws IOException {
        List<PeerStatus> peers = new ArrayList<>();
        Builder current = null;
        for (String line : answer.split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            switch (key) {
                case "errno" -> {
                    if (!value.equals("0")) {
                        throw new IOException("the device answered errno=" + value);
                    }
                }
                case "public_key" -> {
                    if (current != null) {
                        peers.add(current.build());
                    }
                    current = new Builder(Key.fromHex(value));
                }
                default -> {
                    if (current != null) {
                        current.set(key, value);
                    }
                }
            }
        }
        if (current != null) {
            peers.add(current.build());
        }
        return peers;
    }

    private static final class Builder {
        final Key publicKey;
        String endpoint;
        long handshakeSec, handshakeNsec, rx, tx;
        int keepalive;
        final List<String> allowedIps = new ArrayList<>();

        Builder(Key publicKey) {
            this.publicKey = publicKey;
        }

        void set(String key, String value) {
            switch (key) {
                case "endpoint" -> endpoint = value;
                case "last_handshake_time_sec" -> handshakeSec = Long.parseLong(value);
                case "last_handshake_time_nsec" -> handshakeNsec = Long.parseLong(value);
                case "rx_bytes" -> rx = Long.parseUnsignedLong(value);
                case "tx_bytes" -> tx = Long.parseUnsignedLong(value);
                case "persistent_keepalive_interval" -> keepalive = Integer.parseInt(value);
                case "allowed_ip" -> allowedIps.add(value);
                default -> {
                    // preshared_key, protocol_version: nothing a status shows
                }
            }
        }

        PeerStatus build() {
            // wg's convention: 0 seconds means no handshake yet.
            Optional<Instant> hs = handshakeSec == 0 ? Optional.empty()
                    : Optional.of(Instant.ofEpochSecond(handshakeSec, handshakeNsec));
            return new PeerStatus(publicKey, Optional.ofNullable(endpoint), hs, rx, tx, keepalive, allowedIps);
        }
    }
}
