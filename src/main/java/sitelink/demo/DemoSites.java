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
import sitelink.testbed.Offices;

/**
 * The demo's two site files, written as a user would write them (examples/office-a.yaml), with fresh keys in key
 * files of their own. Everything lives in one private directory (0700, keys 0600) that the demo deletes at the end.
 */
public final class DemoSites {
    /** Private to root: the key files are in it. */
    public static final Path DIRECTORY = Path.of("/run/sitelink-demo");
    public static final int PORT = 51820;
    /** The tunnel interfaces; unique machine-wide because their UAPI sockets share /var/run/wireguard. */
    public static final String TUNNEL_IFACE_A = "sl-demo-a", TUNNEL_IFACE_B = "sl-demo-b";

    /** One office: its name, its site file, its key file, where its gateway logs, and its public key. */
    public record Site(String name, String gatewayNamespace, String tunnelIface, Path file, Path keyFile, Path log,
            Key publicKey) {
    }

    private DemoSites() {
    }

    public static Path file(String site) {
        return DIRECTORY.resolve(site + ".yaml");
    }

    /** Creates the directory, both key files and both site files for the two offices; returns A's and B's. */
    public static Site[] write(Offices.Office officeA, Offices.Office officeB) throws IOException {
        Files.createDirectories(DIRECTORY.getParent());
        Files.createDirectory(DIRECTORY, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(DIRECTORY, PosixFilePermissions.fromString("rwx------")); // whatever the umask
        SecureRandom random = new SecureRandom();
        Key privateA = X25519.generatePrivate(random);
        Key privateB = X25519.generatePrivate(random);
        try {
            Site a = site(officeA, TUNNEL_IFACE_A, X25519.publicKey(privateA));
            Site b = site(officeB, TUNNEL_IFACE_B, X25519.publicKey(privateB));
            writeKey(a.keyFile(), privateA);
            writeKey(b.keyFile(), privateB);
            Files.writeString(a.file(), yaml(a, b, officeA, officeB), StandardCharsets.UTF_8);
            Files.writeString(b.file(), yaml(b, a, officeB, officeA), StandardCharsets.UTF_8);
            return new Site[] {a, b};
        } finally {
            privateA.destroy();
            privateB.destroy();
        }
    }

    private static Site site(Offices.Office office, String iface, Key publicKey) {
        String name = office.name();
        return new Site(name, office.gateway().name(), iface, file(name), DIRECTORY.resolve(name + ".key"),
                DIRECTORY.resolve(name + ".log"), publicKey);
    }

    /** Created 0600 before the key is written, so it is never readable by anyone else. */
    private static void writeKey(Path file, Key key) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, key.toBase64() + "\n", StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static String yaml(Site self, Site remote, Offices.Office office, Offices.Office remoteOffice) {
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
                """.formatted(self.name(), remote.name(), office.lan(), self.keyFile().getFileName(), self.tunnelIface(),
                remoteOffice.lan(), office.tunnelAddress(), remote.publicKey().toBase64(), remoteOffice.wanAddress(), PORT,
                remoteOffice.tunnelAddress());
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
