package sitelink.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.stream.Stream;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;

/**
 * The demo's two site files, written as a user would write them (examples/office-a.yaml), with fresh keys in key
 * files of their own. Everything lives in one private directory (0700, keys 0600) that the demo deletes at the end.
 */
public final class DemoSites {
    /** Private to root: the key files are in it. */
    public static final Path DIRECTORY = Path.of("/run/sitelink-demo");
    public static final int PORT = 51820;

    /** One office: its name, its site file, its key file, where its gateway logs, and its public key. */
    public record Site(String name, String gatewayNamespace, String tunnelIface, Path file, Path keyFile, Path log,
            Key publicKey) {
    }

    private DemoSites() {
    }

    public static Path file(String site) {
        return DIRECTORY.resolve(site + ".yaml");
    }

    /** Creates the directory, both key files and both site files; returns office A and office B. */
    public static Site[] write() throws IOException {
        Files.createDirectories(DIRECTORY.getParent());
        Files.createDirectory(DIRECTORY, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(DIRECTORY, PosixFilePermissions.fromString("rwx------")); // whatever the umask
        SecureRandom random = new SecureRandom();
        Key privateA = X25519.generatePrivate(random);
        Key privateB = X25519.generatePrivate(random);
        try {
            Site a = new Site("office-a", Topology.GATEWAY_A, Topology.TUNNEL_IFACE_A, file("office-a"),
                    DIRECTORY.resolve("office-a.key"), DIRECTORY.resolve("office-a.log"), X25519.publicKey(privateA));
            Site b = new Site("office-b", Topology.GATEWAY_B, Topology.TUNNEL_IFACE_B, file("office-b"),
                    DIRECTORY.resolve("office-b.key"), DIRECTORY.resolve("office-b.log"), X25519.publicKey(privateB));
            writeKey(a.keyFile(), privateA);
            writeKey(b.keyFile(), privateB);
            Files.writeString(a.file(), yaml(a, b, Topology.LAN_A, Topology.TUNNEL_A, Topology.LAN_B, Topology.TUNNEL_B,
                    Topology.GATEWAY_B_WAN), StandardCharsets.UTF_8);
            Files.writeString(b.file(), yaml(b, a, Topology.LAN_B, Topology.TUNNEL_B, Topology.LAN_A, Topology.TUNNEL_A,
                    Topology.GATEWAY_A_WAN), StandardCharsets.UTF_8);
            return new Site[] {a, b};
        } finally {
            privateA.destroy();
            privateB.destroy();
        }
    }

    /** Created 0600 before the key is written, so it is never readable by anyone else. */
    private static void writeKey(Path file, Key key) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, key.toBase64() + "\n", StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static String yaml(Site self, Site remote, String lan, String tunnelAddress, String remoteLan,
            String remoteTunnelAddress, String remoteWan) {
        return """
                # %1$s: serves %3$s and reaches %2$s's %6$s through one tunnel (written by sitelink demo).
                name: %1$s
                private_key_file: %4$s
                listen_port: %10$d

                tunnel:
                  name: %5$s
                  addresses: [%7$s/30]
                  mtu: 1420

                local_subnets:
                  - %3$s

                remote_sites:
                  - name: %2$s
                    public_key: %8$s
                    endpoint: %9$s:%10$d
                    remote_subnets:
                      - %6$s
                      - %11$s/32
                    persistent_keepalive: 25
                """.formatted(self.name(), remote.name(), lan, self.keyFile().getFileName(), self.tunnelIface(),
                remoteLan, tunnelAddress, remote.publicKey().toBase64(), remoteWan, PORT, remoteTunnelAddress);
    }

    /** Deletes the directory and everything in it; true when it is gone. */
    public static boolean delete() {
        if (!Files.exists(DIRECTORY)) {
            return true;
        }
        try (Stream<Path> all = Files.walk(DIRECTORY)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
