package sitelink.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.crypto.Key;
import sitelink.device.DeviceSnapshot;
import sitelink.device.PeerSnapshot;
import sitelink.e2e.E2e;
import sitelink.route.Prefix;

/**
 * The real {@code wg} binary against our UAPI server at /var/run/wireguard/NAME.sock (no TUN: wg only needs the
 * socket). The name is unique per run because that directory is shared by every process on the machine.
 */
class UapiWgInteropTest {
    @TempDir
    Path tmp;

    private final FakeDevice device = new FakeDevice();
    private final String iface = "slw" + (ProcessHandle.current().pid() % 1_000_000) + "x" + (System.nanoTime() % 100);
    private UapiServer server;

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(!"false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
        E2e.require(E2e.onPath("wg").isPresent(), "the wg command (apt-get install wireguard-tools)");
        server = new UapiServer(iface, device);
        server.start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void wgSetThenShowconfRoundTrips() throws Exception {
        String priv = wg(null, "genkey").strip();
        String peerPub = wg(wg(null, "genkey"), "pubkey").strip();
        String psk = wg(null, "genpsk").strip();
        Path privFile = write("priv", priv);
        Path pskFile = write("psk", psk);

        wg(null, "set", iface, "private-key", privFile.toString(), "listen-port", "51820", "fwmark", "0x1234",
                "peer", peerPub, "preshared-key", pskFile.toString(), "endpoint", "[2001:db8::1]:51821",
                "persistent-keepalive", "25", "allowed-ips", "198.18.0.0/15,2001:db8:1::/48");
        assertEquals(1, device.applied.size(), "one wg set is one update");

        String conf = wg(null, "showconf", iface);
        assertEquals("""
                [Interface]
                ListenPort = 51820
                FwMark = 0x1234
                PrivateKey = %s

                [Peer]
                PublicKey = %s
                PresharedKey = %s
                AllowedIPs = 198.18.0.0/15, 2001:db8:1::/48
                Endpoint = [2001:db8::1]:51821
                PersistentKeepalive = 25
                """.formatted(priv, peerPub, psk), conf);

        wg(null, "set", iface, "peer", peerPub, "remove");
        assertEquals(List.of(), device.snapshot().peers());
    }

    @Test
    void wgShowDumpReadsHandshakeAndCounters() throws Exception {
        Key priv = Key.fromBase64(wg(null, "genkey").strip());
        String pub = wg(priv.toBase64() + "\n", "pubkey").strip();
        Key peer = Key.fromBase64(wg(wg(null, "genkey"), "pubkey").strip());
        device.state = new DeviceSnapshot(Optional.of(priv), 40000, 0, List.of(new PeerSnapshot(peer, Optional.empty(),
                Optional.of(new java.net.InetSocketAddress("192.0.2.7", 51820)), Optional.of(Instant.ofEpochSecond(1700000000)),
                111, 222, 0, List.of(Prefix.parse("10.8.0.0/24")))));
        String dump = wg(null, "show", iface, "dump");
        assertEquals(priv.toBase64() + "\t" + pub + "\t40000\toff\n"
                + peer.toBase64() + "\t(none)\t192.0.2.7:51820\t10.8.0.0/24\t1700000000\t111\t222\toff\n", dump);
    }

    @Test
    void wgReportsTheDevicesErrno() throws Exception {
        device.failWith = -98; // EADDRINUSE
        Process p = new ProcessBuilder("wg", "set", iface, "listen-port", "53").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("Address already in use"), out);
    }

    private Path write(String name, String content) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, content + "\n");
        return f;
    }

    private static String wg(String stdin, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("wg"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "wg finished");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + err);
        return out;
    }
}
