package sitelink.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import sitelink.control.Gateways;
import sitelink.control.StatusReport;
import sitelink.crypto.Key;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;
import sitelink.route.Prefix;
import sitelink.tunnel.Clock;
import sitelink.uapi.StatusLines;
import sitelink.wireguard.WarmUp;

/**
 * The training run of the ahead-of-time cache (JDK 25, JEPs 483, 514 and 515; docs/benchmarks.md "Start-up"):
 * {@code java -XX:AOTCacheOutput=target/sitelink.aot -cp target/sitelink.jar sitelink.cli.AotTraining gateway|cli
 * [EXAMPLES]}, run by scripts/aot-cache after the jar is built. {@code gateway} (for up, device, demo) does what a
 * gateway does first: WireGuard handshakes, data both ways and a rekey between two protocol cores in memory
 * ({@link WarmUp}) and reading site files ({@code check} of the examples); {@code cli} (every other command) runs the
 * short commands as a user types them ({@code check} of the examples, {@code --version}, {@code status},
 * {@code genkey}, {@code pubkey}, {@code genpsk}), their output discarded, and a gateway's status asked over a UAPI
 * socket of its own (what {@code status} does when a gateway runs). The JVM
 * records the classes this loads and links and the methods' profiles; a later start with {@code -XX:AOTCache} maps
 * them instead of loading, verifying and profiling again.
 *
 * <p>Nothing here opens an interface or a socket: {@code status} only reads the run directories (no gateway needs to
 * run; when one does, it asks it for its status, which changes nothing). Bouncy Castle's classes come from a signed
 * jar, which the JDK does not put into an AOT cache: they are still loaded (and the jar's signature checked) at run
 * time.
 */
public final class AotTraining {
    private AotTraining() {
    }

    /**
     * Args: {@code gateway} or {@code cli}, then the directory of example site files (default ./examples). Two caches,
     * because a JVM started with a cache loads every class in it: the gateway's crypto and device classes made
     * {@code sitelink status} slower (1.5 s of CPU against 0.85 s without a cache, on a loaded machine), a cache of the
     * short commands alone made it faster (0.7 s).
     */
    public static void main(String[] args) throws IOException {
        boolean gateway = args.length > 0 && args[0].equals("gateway");
        Path examples = Path.of(args.length > 1 ? args[1] : "examples");
        if (gateway) {
            JitDirectives.addFromProperty(); // as a gateway does first (scripts/aot-cache names the file)
        }
        WarmUp.Report r = gateway ? WarmUp.run(30, 10_000_000_000L, Clock.SYSTEM, new SecureRandom()) : null;
        PrintStream out = System.out;
        PrintStream err = System.err;
        InputStream in = System.in;
        List<String> failed = new ArrayList<>();
        try (PrintStream discard = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8)) {
            System.setOut(discard);
            System.setErr(discard);
            if (Files.isDirectory(examples)) {
                try (Stream<Path> files = Files.list(examples)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                        run(List.of("check", f.toString()), failed, -1); // their key files need not exist
                    }
                }
            }
            if (!gateway) {
                run(List.of("--version"), failed, 0);
                run(List.of("status"), failed, -1);
                run(List.of("status", "--json"), failed, -1);
                statusOfAGateway();
                run(List.of("genkey"), failed, 0);
                run(List.of("genpsk"), failed, 0);
                System.setIn(new ByteArrayInputStream("YEocP/DLNkFgQ9z7ZprDm7bTjq0ojwFR5GxXeHnsmXg=\n".getBytes(StandardCharsets.US_ASCII)));
                run(List.of("pubkey"), failed, 0);
            }
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
        out.println(r == null ? "sitelink AOT training (cli): status (none running, and a gateway's socket), check, the key commands"
                : String.format("sitelink AOT training (gateway): %d WireGuard handshakes and %d packets in %.0f ms, check",
                        r.handshakes(), r.packets(), r.millis()));
        if (!failed.isEmpty()) {
            // A command that no longer answers as trained for is worth knowing about; the cache is still made.
            out.println("sitelink AOT training: unexpected exit status from: " + String.join("; ", failed));
        }
    }

    /**
     * What {@code status} does when a gateway runs (the {@code status} above finds none at build time): asks a UAPI
     * socket for {@code get_status=1} and shows the answer as the table and as JSON. The socket is this JVM's own, in
     * a temporary directory, answering as a gateway with a tunnel in each state would.
     */
    private static void statusOfAGateway() throws IOException {
        Path dir = Files.createTempDirectory("sitelink-aot");
        Path socket = dir.resolve("sltrain0.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread gateway = Thread.ofVirtual().start(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer request = ByteBuffer.allocate(64);
                    while (c.read(request) >= 0 && !new String(request.array(), 0, request.position(),
                            StandardCharsets.US_ASCII).endsWith("\n\n")) {
                        // up to the request's empty line
                    }
                    c.write(ByteBuffer.wrap((StatusLines.format(aGateway()) + "errno=0\n\n")
                            .getBytes(StandardCharsets.US_ASCII)));
                } catch (IOException e) {
                    // the status below fails and says so
                }
            });
            DeviceStatus status = Gateways.status(socket, Gateways.TIMEOUT);
            StatusReport.View view = new StatusReport.View(List.of(), Set.of(), false, false);
            System.out.print(StatusReport.table(List.of(status), view));
            System.out.print(StatusReport.json(List.of(status), view));
            gateway.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Files.deleteIfExists(socket);
            Files.delete(dir);
        }
    }

    /** A gateway's status with a remote site ESTABLISHED, one CONNECTING, one IDLE and one DOWN. */
    private static DeviceStatus aGateway() {
        Instant now = Instant.now();
        List<PeerStatus> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            PeerStatus.Builder p = new PeerStatus.Builder(Key.fromHex("%064x".formatted(i + 1)));
            p.name = "branch-" + i;
            p.allowedIps = List.of(Prefix.parse("198.18." + i + ".0/24"));
            if (i < 3) {
                p.endpoint = Optional.of(new InetSocketAddress("198.51.100." + (i + 2), 51820));
            }
            if (i == 0) {
                p.lastHandshake = Optional.of(now.minusSeconds(30));
                p.hasSession = true;
                p.rxBytes = 123_456;
                p.txBytes = 654_321;
            } else if (i == 1) {
                p.lastAttempt = Optional.of(now.minusSeconds(20));
                p.firstUnansweredAttempt = Optional.of(now.minusSeconds(20));
                p.handshakeAttempts = 4;
            }
            peers.add(p.build());
        }
        return new DeviceStatus("sltrain0", "office-a", Optional.empty(), 51820, now, new TreeMap<>(), peers);
    }

    /** Runs one command line in this JVM; {@code expected} -1 accepts any exit status. */
    private static void run(List<String> args, List<String> failed, int expected) {
        int status = Main.run(args.toArray(String[]::new), System.err);
        if (expected >= 0 && status != expected) {
            failed.add(String.join(" ", args) + " -> " + status);
        }
    }
}
