package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code sitelink pki} as an operator runs it: files and modes, refusals, and the result checked by OpenSSL's own
 * {@code openssl verify} (with the CRL), the tool a peer's administrator would reach for.
 */
public class PkiCommandTest {
    @TempDir
    Path dir;
    String out;
    String err;

    @AfterEach
    void restoreClock() {
        PkiCommand.clock = Instant::now;
    }

    int run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new PkiCommand());
        for (CommandLine sub : cl.getSubcommands().values()) {
            PkiCommand.Base b = sub.getCommand();
            b.io.out = new PrintStream(o, true, StandardCharsets.UTF_8);
            b.io.err = new PrintStream(e, true, StandardCharsets.UTF_8);
        }
        int code = cl.execute(args);
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    String p(String name) {
        return dir.resolve(name).toString();
    }

    void makeCaAndGateway() {
        assertEquals(0, run("ca", "--name", "Example CA", "--out-cert", p("ca.crt"), "--out-key", p("ca.key")), err);
        assertEquals(0, run("issue", "--ca-cert", p("ca.crt"), "--ca-key", p("ca.key"), "--name", "right.example",
                "--san", "dns:right.example", "--san", "ip:203.0.113.2", "--out-cert", p("right.crt"), "--out-key",
                p("right.key")), err);
    }

    @Test
    void caIssueAndShowWriteKeysOnlyTheOwnerCanRead() throws IOException {
        makeCaAndGateway();
        assertTrue(out.contains("altNames:    dns:right.example, ip:203.0.113.2"), out);
        for (String key : List.of("ca.key", "right.key")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(key))), key);
            assertTrue(Files.readString(dir.resolve(key)).startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
        }
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.crt"))));
        assertEquals(0, run("show", p("right.crt"), p("right.key")), err);
        assertTrue(out.contains("subject:     CN=right.example"), out);
        assertTrue(out.contains("issuer:      CN=Example CA\n"), out);
        assertTrue(out.contains("key:         ECDSA P-256"), out);
        assertTrue(out.contains("extKeyUsage: serverAuth, clientAuth"), out);
        assertTrue(out.contains("private key: ECDSA P-256 (not shown)"), out);
        assertFalse(out.contains("BEGIN"), "no key material");
    }

    @Test
    void nothingIsOverwrittenAndMistakesAreNamed() throws IOException {
        makeCaAndGateway();
        String before = Files.readString(dir.resolve("right.key"));
        assertEquals(1, run("issue", "--ca-cert", p("ca.crt"), "--ca-key", p("ca.key"), "--name", "right.example",
                "--out-cert", p("new.crt"), "--out-key", p("right.key")));
        assertTrue(err.contains("right.key exists already; sitelink pki never overwrites"), err);
        assertEquals(before, Files.readString(dir.resolve("right.key")));
        assertFalse(Files.exists(dir.resolve("new.crt")), "nothing half-written");

        assertEquals(1, run("issue", "--ca-cert", p("right.crt"), "--ca-key", p("right.key"), "--name", "x.example",
                "--out-cert", p("x.crt"), "--out-key", p("x.key")));
        assertTrue(err.startsWith("pki issue: the certificate CN=right.example is not a CA certificate"), err);
        assertEquals(1, run("ca", "--name", "Weak CA", "--key-type", "rsa1024", "--out-cert", p("w.crt"), "--out-key",
                p("w.key")));
        assertTrue(err.contains("key type 'rsa1024' is not one of ecdsa-p256, ecdsa-p384, rsa2048"), err);
        assertEquals(1, run("issue", "--ca-cert", p("ca.crt"), "--ca-key", p("ca.key"), "--name", "x.example",
                "--san", "ip:x.example", "--out-cert", p("x.crt"), "--out-key", p("x.key")));
        assertTrue(err.contains("'x.example' is not an IPv4 or IPv6 address"), err);
        assertEquals(1, run("revoke", "--ca-cert", p("ca.crt"), "--ca-key", p("ca.key"), "--crl", p("ca.crl")));
        assertTrue(err.contains("--cert FILE or --serial HEX"), err);
    }

    @Test
    void openSslVerifiesTheChainAndSeesTheRevocation() throws Exception {
        assumeTrue(onPath("openssl") || System.getenv("CI") != null, "openssl is not installed");
        makeCaAndGateway();
        assertEquals(0, run("revoke", "--ca-cert", p("ca.crt"), "--ca-key", p("ca.key"), "--crl", p("ca.crl"),
                "--renew"), err);
        assertTrue(out.contains("revoked:     none"), out);
        String ok = openssl("verify", "-CAfile", "ca.crt", "-crl_check", "-CRLfile", "ca.crl", "right.crt");
        assertTrue(ok.endsWith("right.crt: OK"), ok);
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.crl"))));

        assertEquals(0, run("revoke", "--ca-cert", p("ca.crt"), "--ca-key", p("ca.key"), "--crl", p("ca.crl"),
                "--cert", p("right.crt"), "--reason", "key-compromise"), err);
        assertTrue(out.contains("revoked:     1"), out);
        assertTrue(out.contains("KEY_COMPROMISE"), out);
        String v = openssl("verify", "-CAfile", "ca.crt", "-crl_check", "-CRLfile", "ca.crl", "right.crt");
        assertTrue(v.contains("certificate revoked"), v);

        assertEquals(1, run("revoke", "--ca-cert", p("ca.crt"), "--ca-key", p("ca.key"), "--crl", p("ca.crl"),
                "--cert", p("right.crt")));
        assertTrue(err.contains("was revoked already"), err);
    }

    @Test
    void showWarnsOfExpiryAndOfAnOverdueCrl() {
        makeCaAndGateway();
        assertEquals(0, run("revoke", "--ca-cert", p("ca.crt"), "--ca-key", p("ca.key"), "--crl", p("ca.crl"),
                "--renew"), err);
        PkiCommand.clock = () -> Instant.now().plus(Duration.ofDays(800));
        assertEquals(0, run("show", p("right.crt"), p("ca.crl")), err);
        assertTrue(out.contains("(EXPIRED 69 days ago)") || out.contains("(EXPIRED 70 days ago)"), out);
        assertTrue(out.contains("OVERDUE"), out);
    }

    public static boolean onPath(String cmd) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, cmd))) {
                return true;
            }
        }
        return false;
    }

    String openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process pr = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String text = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(pr.waitFor(30, TimeUnit.SECONDS), "openssl did not finish");
        return text.strip();
    }
}
