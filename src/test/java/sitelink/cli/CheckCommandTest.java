package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
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

    private Path run;

    private int check(Path file) {
        CheckCommand cmd = new CheckCommand();
        if (run != null) {
            cmd.runDirectory = run;
        }
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

    /** The rules of examples/office-a.yaml as the summary lists them. */
    private static final String policy = "allow to tcp dst 198.18.2.0/24 port 22,443; allow both icmp type 8";

    @Test
    void goodFilePrintsASummaryAndExits0(@TempDir Path dir) throws Exception {
        assertEquals(0, check(officeA(dir)));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        assertEquals("site office-a serving 198.18.1.0/24: 1 remote site (office-b: 198.18.2.0/24, 198.19.0.2/32 via "
                + "198.18.0.2:51820, keepalive 25s, policy: " + policy + "), tunnel sl-b 198.19.0.1/30 mtu 1420, listening on a port the system picks\n",
                out.toString(StandardCharsets.UTF_8));
    }

    /** A hub's 30 remote sites: one summary line of readable length, one policy warning for them all. */
    @Test
    void aHubsSummaryAndWarningNameTheFirstSitesAndCountTheRest(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("hub.yaml");
        StringBuilder b = new StringBuilder("""
                name: hub
                private_key_file: hub.key
                listen_port: 0
                tunnel: {name: sl-hub, addresses: [198.18.12.1/24]}
                remote_sites:
                """);
        for (int i = 1; i <= 30; i++) {
            byte[] k = new byte[32];
            k[0] = (byte) i;
            b.append("  - name: spoke-").append(i).append("\n    public_key: ")
                    .append(java.util.Base64.getEncoder().encodeToString(k)).append("\n    remote_subnets: [198.19.")
                    .append(i).append(".0/24]\n");
        }
        Files.writeString(yaml, b);
        Path key = dir.resolve("hub.key");
        Files.writeString(key, ALICE_PRIVATE + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        assertEquals(0, check(yaml));
        assertEquals(yaml + ": warning: 30 remote sites (spoke-1, spoke-2, spoke-3 and 27 more) have no policy rules, so "
                + "everything between their subnets and this site's passes (only the traffic selectors apply); add "
                + "'policy:' allow rules for least privilege (docs/policy.md)\n", err.toString(StandardCharsets.UTF_8));
        String summary = out.toString(StandardCharsets.UTF_8);
        assertTrue(summary.startsWith("site hub: 30 remote sites (spoke-1: 198.19.1.0/24, waits for it to connect, "), summary);
        assertTrue(summary.contains("; spoke-3: 198.19.3.0/24, waits for it to connect, no policy rules (everything "
                + "between the subnets passes); and 27 more), tunnel sl-hub"), summary);
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
        assertEquals("site sl-b: 1 remote site (peer-1: 198.18.2.0/24, waits for it to connect, no policy rules (everything "
                + "between the subnets passes)), tunnel sl-b mtu 1420, "
                + "listening on a port the system picks\n", out.toString(StandardCharsets.UTF_8));
    }

    /**
     * {@code sitelink check} on the file of the gateway that runs it: the port is held by that very gateway (here a
     * stand-in whose command line is {@code sitelink up FILE}, and a socket of this JVM holding the port), which is
     * a note, not an error.
     */
    @Test
    void thePortHeldByThisFilesRunningGatewayIsANoteNotAnError(@TempDir Path dir) throws Exception {
        Path yaml = officeA(dir);
        run = Files.createDirectory(dir.resolve("run"));
        try (DatagramChannel held = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            held.bind(new InetSocketAddress(InetAddress.getByName("::"), 0));
            int port = ((InetSocketAddress) held.getLocalAddress()).getPort();
            Files.writeString(yaml, Files.readString(yaml).replace("listen_port: 0", "listen_port: " + port));
            assertEquals(1, check(yaml), "the control: a port in use is an error when no gateway runs the file");
            Process gateway = new ProcessBuilder("sh", "-c", "while :; do sleep 1 & wait $!; done", "-jar",
                    "/opt/sitelink/sitelink.jar", "up", yaml.toString()).start();
            try {
                Files.writeString(run.resolve("sl-b.pid"), gateway.pid() + "\n");
                String cmdline = "";
                for (int i = 0; i < 500 && !cmdline.contains("sitelink.jar"); i++) { // until sh has exec'd
                    Thread.sleep(10);
                    cmdline = Files.readString(Path.of("/proc/" + gateway.pid() + "/cmdline"));
                }
                out.reset();
                err.reset();
                assertEquals(0, check(yaml), err.toString(StandardCharsets.UTF_8));
                assertTrue(err.toString(StandardCharsets.UTF_8).contains("note: this file's gateway is running (pid "
                        + gateway.pid() + ") and holds listen_port " + port), err.toString(StandardCharsets.UTF_8));
            } finally {
                gateway.destroyForcibly();
            }
        }
    }

    /** The summary says which policy rules are in force, or that there are none. */
    @Test
    void theSummaryListsThePolicyRules(@TempDir Path dir) throws Exception {
        Path yaml = officeA(dir);
        String text = Files.readString(yaml);
        Files.writeString(yaml, text.substring(0, text.indexOf("    policy:"))); // the policy ends the file
        assertEquals(0, check(yaml), err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("no policy rules"), out.toString(StandardCharsets.UTF_8));
    }

    /** An IKEv2 remote site passes check, which prints its settings. */
    @Test
    void anIkeSiteIsSummarisedWithItsSettings(@TempDir Path dir) throws Exception {
        Path yaml = officeA(dir);
        Path psk = dir.resolve("branch.psk");
        Files.writeString(psk, "4cQ0m2pH6aT1xqVb9RrZ3kLw8sYd5nEfGuJ7oIzC1Mk=\n");
        Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(yaml, Files.readString(yaml) + """
                  - name: branch
                    protocol: ikev2
                    psk_file: branch.psk
                    endpoint: 198.51.100.2
                    remote_subnets: [198.18.3.0/24]
                    remote_id: gw-b.example.org
                    esp_proposals: aes256gcm16-modp2048
                    dpd_delay: 10s
                    profile: aws
                    policy: [allow both icmp type 8]
                """);
        assertEquals(0, check(yaml), err.toString(StandardCharsets.UTF_8));
        String summary = out.toString(StandardCharsets.UTF_8);
        assertTrue(summary.contains("2 remote sites (office-b: "), summary);
        assertTrue(summary.contains("; branch (IKEv2): 198.18.3.0/24 via 198.51.100.2:500, start_action start, auth psk, "
                + "ids (this gateway's address) -> gw-b.example.org, profile aws, IKE aes256gcm16-prfsha512-prfsha384-prfsha256-ecp384-"
                + "ecp256-modp2048,aes256-sha512-sha384-sha256-ecp384-ecp256-modp2048-prfsha512-prfsha384-prfsha256, ESP aes256gcm16-modp2048, lifetimes IKE 8h / CHILD 1h, "
                + "dpd_delay 10s, post_quantum off, policy: allow both icmp type 8), tunnel sl-b"), summary);
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }
}
