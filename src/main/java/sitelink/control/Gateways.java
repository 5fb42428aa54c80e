package sitelink.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;
import sitelink.crypto.Key;
import sitelink.device.DeviceStatus;
import sitelink.uapi.StatusLines;

/**
 * Finds running sitelink devices (gateways from /run/sitelink/IFACE.pid, plain devices from
 * /var/run/wireguard/IFACE.sock) and asks one for its status over its UAPI socket ({@code get_status=1}), as
 * {@code sitelink status}, {@code diagnose} and the demo do. The answer never carries key material but public keys.
 */
public final class Gateways {
    public static final Path RUN_DIRECTORY = Path.of("/run/sitelink");
    public static final Path SOCKET_DIRECTORY = Path.of("/var/run/wireguard");
    /** How long {@link #status(String)} waits for an answer: a gateway answers in milliseconds. */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);

    private Gateways() {
    }

    /** Interface names with a UAPI socket, gateways first; sorted. */
    public static List<String> interfaces() {
        TreeSet<String> names = new TreeSet<>();
        for (Path dir : List.of(RUN_DIRECTORY, SOCKET_DIRECTORY)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".pid") || n.endsWith(".sock"))
                        .map(n -> n.substring(0, n.lastIndexOf('.')))
                        .filter(n -> Files.exists(SOCKET_DIRECTORY.resolve(n + ".sock")))
                        .forEach(names::add);
            } catch (IOException e) {
                // no such directory: nothing runs
            }
        }
        return new ArrayList<>(names);
    }

    /** The UAPI socket of the device on {@code iface}. */
    public static Path socket(String iface) {
        return SOCKET_DIRECTORY.resolve(iface + ".sock");
    }

    /** The status of the device on {@code iface}, within {@link #TIMEOUT}. */
    public static DeviceStatus status(String iface) throws IOException {
        return status(socket(iface), TIMEOUT);
    }

    /**
     * Asks the device at {@code socket} for {@code get_status=1}. An IOException when nothing listens there, it does
     * not answer within {@code timeout} (a stuck gateway must not hang {@code sitelink status}), it answers a non-zero
     * errno, or it closes without a status (not a sitelink device: wireguard-go does not know get_status).
     */
    public static DeviceStatus status(Path socket, Duration timeout) throws IOException {
        return ask(socket, "get_status=1\n\n", timeout, StatusLines::parse);
    }

    /**
     * Asks the gateway on {@code iface} to start a handshake with {@code peer} now, without sending a packet through
     * the tunnel (sitelink's {@code initiate_handshake=1}): what {@code diagnose} does on an idle tunnel. An
     * IOException as for {@link #status(String)}; errno -2 means no such peer, -89 a peer without an endpoint.
     */
    public static void initiateHandshake(String iface, Key peer) throws IOException {
        ask(socket(iface), "initiate_handshake=1\npublic_key=" + peer.toHex() + "\n\n", TIMEOUT, lines -> null);
    }

    /**
     * Asks every device on {@code ifaces} for its status at once ({@code sitelink status} of several gateways waits for
     * the slowest answer, not for their sum: a gateway's first answer after its start takes tens of milliseconds).
     * {@link Question#answer()} gives each answer, or the IOException {@link #status(String)} would throw, within
     * {@link #TIMEOUT} of now. In the order of {@code ifaces}.
     */
    public static List<Question<DeviceStatus>> askStatus(List<String> ifaces) {
        List<Question<DeviceStatus>> asked = new ArrayList<>();
        for (String iface : ifaces) {
            asked.add(new Question<>(socket(iface), "get_status=1\n\n", TIMEOUT, StatusLines::parse));
        }
        return asked;
    }

    /** Sends {@code request} and parses the lines of the answer before its {@code errno=0}, within {@code timeout}. */
    private static <T> T ask(Path socket, String request, Duration timeout, Function<List<String>, T> parse)
            throws IOException {
        return new Question<>(socket, request, timeout, parse).answer();
    }

    /**
     * One question to one device, asked when made: the connection and the reading run on a daemon thread of their own;
     * closing the channel is what ends a reader still blocked (timeout, interrupt). A platform thread rather than a
     * virtual one: no scheduler to start for a short command (issue 15: `status` of a gateway 0.81 -> 0.71 s wall,
     * medians of 8, the same CPU time).
     */
    public static final class Question<T> {
        private final String iface;
        private final Path socket;
        private final Duration timeout;
        private final long deadline;
        private final SocketChannel channel;
        private final FutureTask<T> answer;
        private final IOException failed;

        Question(Path socket, String request, Duration timeout, Function<List<String>, T> parse) {
            this.socket = socket;
            this.timeout = timeout;
            iface = socket.getFileName().toString().replaceFirst("\\.sock$", "");
            deadline = System.nanoTime() + timeout.toNanos();
            SocketChannel ch = null;
            IOException failure = null;
            try {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            } catch (IOException e) {
                failure = e;
            }
            channel = ch;
            failed = failure;
            answer = new FutureTask<>(() -> read(request, parse));
            if (channel != null) {
                Thread.ofPlatform().daemon().name("uapi-" + iface).start(answer);
            }
        }

        /** The interface the question went to. */
        public String iface() {
            return iface;
        }

        private T read(String request, Function<List<String>, T> parse) throws IOException {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                    StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("errno=")) {
                    if (!line.equals("errno=0")) {
                        throw new IOException(iface + " answered " + line);
                    }
                    return parse.apply(lines);
                }
                lines.add(line);
            }
            String op = request.substring(0, request.indexOf('=')); // get_status, initiate_handshake
            throw new IOException(iface + " closed the connection without an answer to " + op + ": is it a "
                    + "sitelink device (wireguard-go does not answer " + op + ")?");
        }

        /** The answer, waiting until the question's deadline at most; the connection is closed afterwards. */
        public T answer() throws IOException {
            if (failed != null) {
                throw failed;
            }
            try (SocketChannel ch = channel) {
                return answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new IOException(iface + " did not answer on " + socket + " within " + timeout.toMillis() + " ms");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while asking " + socket);
            }
        }
    }
}
