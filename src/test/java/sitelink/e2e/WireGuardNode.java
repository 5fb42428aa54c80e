package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import sitelink.testbed.Command;
import sitelink.testbed.Proc;
import sitelink.testbed.Namespace;

/**
 * A userspace WireGuard device in a namespace, started and configured the way a user does it: the implementation's
 * foreground command ({@code IMPL -f IFACE}), then {@code wg set}, {@code ip addr add} and {@code ip link set up}.
 * Subclasses only say how the device is started.
 */
public abstract class WireGuardNode implements AutoCloseable {
    /** An implementation a topology can be built from: a label for test names and a way to make a node. */
    public record Kind(String label, BiFunction<Namespace, String, WireGuardNode> create) {
        @Override
        public String toString() {
            return label;
        }
    }

    public static final Kind SITELINK = new Kind("sitelink", SitelinkNode::new);
    /** The distribution's wireguard-go (Debian bookworm: 0.0.20220316). */
    public static final Kind WIREGUARD_GO = wireguardGo("wireguard-go", "apt-get install wireguard-go",
            () -> E2e.onPath("wireguard-go"));
    /** Debian trixie's wireguard-go 0.0.20230223 (batched I/O, offloads), fetched by scripts/test. */
    public static final Kind WIREGUARD_GO_CURRENT = wireguardGo("wireguard-go-current",
            "bash ../shared/tools/wireguard-go-current; scripts/test passes it as SITELINK_WG_GO_CURRENT",
            E2e::wireguardGoCurrent);
    /** The newest wireguard-go (Debian sid's 0.0.20250522), fetched by scripts/test. */
    public static final Kind WIREGUARD_GO_NEWEST = wireguardGo("wireguard-go-newest",
            "SUITE=sid bash ../shared/tools/wireguard-go-current; scripts/test passes it as SITELINK_WG_GO_NEWEST",
            E2e::wireguardGoNewest);

    /**
     * Every wireguard-go build the interop tests run against. All of them, always: a build missing here makes its
     * tests skip (or fail under CI) rather than vanish from the list.
     */
    public static List<Kind> wireguardGoBuilds() {
        return List.of(WIREGUARD_GO, WIREGUARD_GO_CURRENT, WIREGUARD_GO_NEWEST);
    }

    /** A wireguard-go build found (when the test starts it) by {@code binary}; {@code howToGet} for the message. */
    private static Kind wireguardGo(String label, String howToGet, Supplier<Optional<Path>> binary) {
        return new Kind(label, (ns, iface) -> new WireGuardGoNode(ns, iface, label, howToGet, binary.get()));
    }

    protected final Namespace ns;
    protected final String iface;
    private final Path privateKeyFile;
    private final String publicKey;
    private Proc process;
    /** The last {@link #configure} call, replayed by {@link #restart()}. */
    private Runnable lastConfiguration;

    protected WireGuardNode(Namespace ns, String iface) {
        this.ns = ns;
        this.iface = iface;
        this.privateKeyFile = ns.logDir().resolve(iface + ".key");
        String privateKey = ns.execOk("wg", "genkey").strip();
        try {
            Files.writeString(privateKeyFile, privateKey + "\n");
            Files.setPosixFilePermissions(privateKeyFile, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.publicKey = pubkey(privateKey);
    }

    /** The command line that runs this implementation's device in the foreground. */
    protected abstract List<String> command();

    /** Checks this implementation can run here (a skip, or a failure under CI, when not). */
    protected void requirePrerequisites() {}

    public abstract String label();

    /** Starts the device and waits until its interface and UAPI socket exist. */
    public WireGuardNode start() {
        requirePrerequisites();
        Path socket = Uapi.socket(iface);
        if (Files.exists(socket)) fail(socket + " already exists: interface name " + iface + " is not unique");
        process = ns.start(command().toArray(String[]::new));
        E2e.await(Duration.ofSeconds(60), label() + " to create " + iface + " and " + socket,
                () -> !process.isAlive() || (Files.exists(socket) && ns.exec("ip", "link", "show", iface).ok()),
                process::tail);
        if (!process.isAlive()) {
            fail(label() + " exited (code " + process.waitFor(Duration.ofSeconds(5)) + ") before " + socket
                    + " appeared\n" + process.tail());
        }
        return this;
    }

    /**
     * Configures the device with one peer, as a user would with wg and ip. {@code endpoint} is empty for a responder
     * that learns its peer's address from the first authenticated packet.
     */
    public void configure(int listenPort, WireGuardNode peer, String peerAllowedIps, Optional<String> endpoint,
                          String tunnelAddress) {
        configure(listenPort, peer.publicKey(), peerAllowedIps, endpoint, tunnelAddress);
    }

    /** As {@link #configure(int, WireGuardNode, String, Optional, String)}, for a peer that is not a node here. */
    public void configure(int listenPort, String peerPublicKey, String peerAllowedIps, Optional<String> endpoint,
                          String tunnelAddress) {
        lastConfiguration = () -> configure(listenPort, peerPublicKey, peerAllowedIps, endpoint, tunnelAddress);
        List<String> set = new ArrayList<>(List.of("wg", "set", iface, "private-key", privateKeyFile.toString(),
                "listen-port", Integer.toString(listenPort), "peer", peerPublicKey, "allowed-ips", peerAllowedIps));
        endpoint.ifPresent(e -> set.addAll(List.of("endpoint", e)));
        ns.execOk(set.toArray(String[]::new));
        ns.ip("addr", "add", tunnelAddress, "dev", iface);
        ns.ip("link", "set", iface, "up");
    }

    /** {@code wg set IFACE ARGS...} in the node's namespace, which must succeed. */
    public void wgSet(String... args) {
        List<String> command = new ArrayList<>(List.of("wg", "set", iface));
        command.addAll(List.of(args));
        ns.execOk(command.toArray(String[]::new));
    }

    /** Ends the device with SIGKILL (by PID): no cleanup runs, as in a crash or an OOM kill. */
    public void kill() {
        ProcessHandle handle = process.toHandle();
        handle.destroyForcibly(); // SIGKILL on Linux
        E2e.await(Duration.ofSeconds(10), label() + " to die", () -> !handle.isAlive());
    }

    /**
     * Starts the device again after it died, as an init system would, and applies the same configuration. A killed
     * process leaves its UAPI socket file behind; a restart script removes it (wireguard-go refuses to start too).
     */
    public void restart() {
        if (isRunning()) throw new IllegalStateException(this + " is still running");
        try {
            Files.deleteIfExists(Uapi.socket(iface));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        start();
        lastConfiguration.run();
    }

    /** The device process's resident set size in KiB, from /proc/PID/status. */
    public long rssKib() {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status")).stream()
                    .filter(l -> l.startsWith("VmRSS:")).map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                    .findFirst().orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String publicKey() {
        return publicKey;
    }

    public String iface() {
        return iface;
    }

    public Namespace ns() {
        return ns;
    }

    public Proc process() {
        return process;
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** {@code wg show IFACE dump}, run in the node's namespace as a user would. */
    public WgDump dump() {
        return WgDump.parse(ns.execOk("wg", "show", iface, "dump"));
    }

    /** {@code wg showconf IFACE}. */
    public String showconf() {
        return ns.execOk("wg", "showconf", iface);
    }

    public Uapi.Response uapi(String request) {
        return Uapi.request(iface, request);
    }

    private String pubkey(String privateKey) {
        Path tmp = ns.logDir().resolve(iface + ".pubin");
        try {
            Files.writeString(tmp, privateKey + "\n");
            Command.Result r = ns.exec("sh", "-c", "wg pubkey < '" + tmp + "'");
            Files.delete(tmp);
            if (!r.ok()) fail(r.describe());
            return r.stdout().strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process != null) process.close();
    }

    @Override
    public String toString() {
        return label() + " " + iface + "@" + ns.name();
    }
}
