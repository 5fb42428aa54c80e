package sitelink.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import sitelink.tunnel.Clock;
import sitelink.wireguard.WarmUp;

/**
 * The training run of the ahead-of-time cache (JDK 25, JEPs 483, 514 and 515; docs/benchmarks.md "Start-up"):
 * {@code java -XX:AOTCacheOutput=target/sitelink.aot -cp target/sitelink.jar sitelink.cli.AotTraining gateway|cli
 * [EXAMPLES]}, run by scripts/aot-cache after the jar is built. {@code gateway} (for up, device, demo) does what a
 * gateway does first: WireGuard handshakes, data both ways and a rekey between two protocol cores in memory
 * ({@link WarmUp}) and reading site files ({@code check} of the examples); {@code cli} (every other command) runs the
 * short commands as a user types them ({@code check} of the examples, {@code --version}, {@code status},
 * {@code genkey}, {@code pubkey}, {@code genpsk}), their output discarded. The JVM
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
        out.println(r == null ? "sitelink AOT training (cli): status, check, the key commands"
                : String.format("sitelink AOT training (gateway): %d WireGuard handshakes and %d packets in %.0f ms, check",
                        r.handshakes(), r.packets(), r.millis()));
        if (!failed.isEmpty()) {
            // A command that no longer answers as trained for is worth knowing about; the cache is still made.
            out.println("sitelink AOT training: unexpected exit status from: " + String.join("; ", failed));
        }
    }

    /** Runs one command line in this JVM; {@code expected} -1 accepts any exit status. */
    private static void run(List<String> args, List<String> failed, int expected) {
        int status = Main.run(args.toArray(String[]::new), System.err);
        if (expected >= 0 && status != expected) {
            failed.add(String.join(" ", args) + " -> " + status);
        }
    }
}
