package sitelink.control;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import sitelink.device.DeviceStatus;
import sitelink.uapi.StatusLines;

/**
 * Finds running sitelink devices (gateways from /run/sitelink/IFACE.pid, plain devices from
 * /var/run/wireguard/IFACE.sock) and asks one for its status over its UAPI socket ({@code get_status=1}).
 */
public final class Gateways {
    public static final Path RUN_DIRECTORY = Path.of("/run/sitelink");
    public static final Path SOCKET_DIRECTORY = Path.of("/var/run/wireguard");

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

    /** The status of the device on {@code iface}; IOException when it does not answer or is not a sitelink device. */
    public static DeviceStatus status(String iface) throws IOException {
        Path sock = SOCKET_DIRECTORY.resolve(iface + ".sock");
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            ch.write(java.nio.ByteBuffer.wrap("get_status=1\n\n".getBytes(StandardCharsets.US_ASCII)));
            InputStream in = Channels.newInputStream(ch);
            List<String> lines = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c != '\n') {
                    cur.append((char) c);
                    continue;
                }
                String line = cur.toString();
                cur.setLength(0);
                if (line.startsWith("errno=")) {
                    if (!line.equals("errno=0")) {
                        throw new IOException(iface + " answered " + line);
                    }
                    return StatusLines.parse(lines);
                }
                lines.add(line);
            }
            throw new IOException(iface + " closed the connection without a status: is it a sitelink device "
                    + "(wireguard-go does not answer get_status)?");
        }
    }
}
