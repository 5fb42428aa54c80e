package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CheckCommandTest {
    private static final String ALICE_PRIVATE = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int check(Path file) {
        CheckCommand cmd = new CheckCommand();
        cmd.io.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.io.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        return new CommandLine(cmd).execute(file.toString());
    }

    /** office-a.yaml with its key file (mode 0600) and a listen port nobody holds (0: the system picks). */
    private static Path officeA(Path dir) throws Exception {
        Path yaml = dir.resolve("office-a.yaml");
        Files.copy(Path.of("examples/office-a.yaml"), yaml, StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(yaml, Files.readString(yaml).replace("listen_port: 51820", "listen_port: 0"));
        Path key = dir.resolve("office-a.key");
        Files.writeString(key, ALICE_PRIVATE + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return yaml;
    }

    @Test
    void goodFilePrintsASummaryAndExits0(@TempDir Path dir) throws Exception {
        assertEquals(0, check(officeA(dir)));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        assertEquals("site office-a serving 198.18.1.0/24: 1 remote site (office-b: 198.18.2.0/24, 198.19.0.2/32 via "
                + "198.18.0.2:51820, keepalive 25s), tunnel sl-b 198.19.0.1/30 mtu 1420, listening on a port the system picks\n",
                out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyProblemIsOneLineOnStderrAndExit1(@TempDir Path dir) throws Exception {
        Path yaml = officeA(dir);
        Files.writeString(yaml, Files.readString(yaml).replace("mtu: 1420", "mtu: 100").replace("endpoint:", "endpiont:"));
        Files.setPosixFilePermissions(dir.resolve("office-a.key"), PosixFilePermissions.fromString("rw-r-----"));
        assertEquals(1, check(yaml));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        Path key = dir.resolve("office-a.key");
        assertEquals(List.of(
                yaml + ":13:8: mtu 100 is out of range; use 576..9000 (1420 suits a 1500-byte link)",
                yaml + ":22:5: unknown field 'endpiont' in remote site office-b; did you mean 'endpoint'?",
                yaml + ":7:19: private_key_file " + key + " is readable or writable by group or others (mode 0640); "
                        + "restrict it with: chmod 600 " + key,
                yaml + ": 3 errors; nothing was changed"),
                err.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void missingFileIsAnError(@TempDir Path dir) {
        Path nowhere = dir.resolve("nowhere.yaml");
        assertEquals(1, check(nowhere));
        assertEquals(nowhere + ":1:1: cannot read the site file (NoSuchFileException: " + nowhere + "); check the path and "
                + "that you may read it", err.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow());
    }

    @Test
    void warningsDoNotFailTheCheck(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("sl-b.conf");
        Files.writeString(conf, """
                [Interface]
                PrivateKey = %s
                DNS = 198.18.1.53

                [Peer]
                PublicKey = 3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=
                AllowedIPs = 198.18.2.0/24
                """.formatted(ALICE_PRIVATE));
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------")); // it holds a private key
        assertEquals(0, check(conf));
        assertEquals(conf + ":3:1: warning: DNS is ignored: a site gateway does not change this host's resolvers; configure "
                + "them in the system (resolv.conf or systemd-resolved) and remove this line\n"
                + conf + ": warning: remote site peer-1 has no policy rules, so everything between the two sites' subnets "
                + "passes (only the traffic selectors apply); add 'policy:' allow rules for least privilege (docs/policy.md)\n",
                err.toString(StandardCharsets.UTF_8));
        assertEquals("site sl-b: 1 remote site (peer-1: 198.18.2.0/24, waits for it to connect), tunnel sl-b mtu 1420, "
                + "listening on a port the system picks\n", out.toString(StandardCharsets.UTF_8));
    }
}
