package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code ./sitelink pki} as the certificate tests run it: in a directory of their own, each call expected to succeed. */
final class PkiCli {
    private PkiCli() {
    }

    /** {@code sitelink pki ARGS} in {@code dir}; fails the test with its output unless it exits 0. */
    static String run(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(E2e.home().resolve("sitelink").toString(), "pki"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), "sitelink pki " + String.join(" ", args) + ": " + out);
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** The serial number of a certificate as {@code pki show} prints it (and log lines name it): {@code 0x1F...}. */
    static String serial(Path cert) throws IOException {
        String out = run(cert.getParent(), "show", cert.toString());
        Matcher m = Pattern.compile("serial:\\s+(0x[0-9A-F]+)").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }
}
