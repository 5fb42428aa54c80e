package sitelink.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Raw requests on the WireGuard cross-platform userspace API socket, /var/run/wireguard/IFACE.sock: for what the
 * {@code wg} tool cannot send (a malformed key, sitelink's own {@code get_counters=1}).
 */
public final class Uapi {
    private Uapi() {}

    /** The answer: its KEY=VALUE lines in order, ending with errno. */
    public record Response(List<String> lines) {
        public int errno() {
            return lines.stream().filter(l -> l.startsWith("errno=")).map(l -> Integer.parseInt(l.substring(6)))
                    .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no errno in UAPI answer: " + lines));
        }

        /** The lines other than errno as a map (last value wins; fine for counters). */
        public Map<String, Long> numbers() {
            Map<String, Long> m = new LinkedHashMap<>();
            for (String l : lines) {
                int eq = l.indexOf('=');
                if (eq > 0 && !l.startsWith("errno=")) m.put(l.substring(0, eq), Long.parseLong(l.substring(eq + 1)));
            }
            return m;
        }
    }

    public static Path socket(String iface) {
        return Path.of("/var/run/wireguard", iface + ".sock");
    }

    /** Sends {@code request} (which must end with an empty line) and reads the answer up to its empty line. */
    public static Response request(String iface, String request) {
        SocketChannel ch = null;
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            SocketChannel channel = ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            var answer = executor.submit(() -> {
                channel.connect(UnixDomainSocketAddress.of(socket(iface)));
                channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(4096);
                while (channel.read(buf.clear()) > 0) {
                    got.write(buf.array(), 0, buf.position());
                    if (got.toString(StandardCharsets.UTF_8).endsWith("\n\n")) break;
                }
                return got.toString(StandardCharsets.UTF_8);
            });
            try {
                return new Response(answer.get(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS).lines()
                        .filter(l -> !l.isEmpty()).toList());
            } catch (TimeoutException e) {
                channel.close();
                throw new AssertionError("no UAPI answer from " + socket(iface) + " within 10 s", e);
            } catch (ExecutionException e) {
                throw new AssertionError("UAPI request to " + socket(iface) + " failed: " + e.getCause(), e.getCause());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // Closing a UNIX socket does not fail in a way a test cares about.
                }
            }
        }
    }
}
