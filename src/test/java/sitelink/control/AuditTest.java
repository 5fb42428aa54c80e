package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.config.ExamplesTest;

class AuditTest {
    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    private static final String B_PUBLIC = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";
    private static final String A_PUBLIC = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
    private static final String B_PRIVATE = "XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=";

    @Test
    void theExamplesHaveNoFindings(@TempDir Path dir) throws Exception {
        Path d = ExamplesTest.examples(dir);
        List<Audit.Finding> f = new Audit(NOW, Optional.empty()).run(List.of(d.resolve("office-a.yaml"),
                d.resolve("office-b.yaml")));
        assertEquals(List.of(), f);
    }

    /** Two sites with one planted problem each per line; every one is found once, at its line, and nothing else. */
    @Test
    void eachPlantedProblemIsFoundOnceAtItsLine(@TempDir Path dir) throws Exception {
        ExamplesTest.examples(dir); // office-a.key and office-b.key, mode 0600
        Path psk = dir.resolve("old.psk");
        Files.writeString(psk, "YmI2MjUzNjg1MmU2NzZiZDQ4NjFmOTM5NGE5YTdjNDY=\n");
        Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString("rw-------"));
        Files.setLastModifiedTime(psk, FileTime.from(NOW.minus(Duration.ofDays(120))));
        Path a = site(dir, "weak-a.yaml", """
                name: office-a
                private_key_file: office-a.key
                listen_port: 51820
                tunnel:
                  name: sl-b
                  addresses: [198.19.0.1/30]
                local_subnets:
                  - 198.18.1.0/24
                remote_sites:
                  - name: office-b
                    public_key: %s
                    preshared_key_file: old.psk
                    endpoint: 203.0.113.2:51820
                    remote_subnets:
                      - 198.18.2.0/23
                    persistent_keepalive: 60
                """.formatted(B_PUBLIC));
        Path b = site(dir, "weak-b.yaml", """
                name: office-b
                private_key: %s
                listen_port: 51820
                tunnel:
                  name: sl-a
                  addresses: [198.19.0.2/30]
                local_subnets:
                  - 198.18.2.0/24
                remote_sites:
                  - name: office-a
                    public_key: %s
                    endpoint: 203.0.113.1:51820
                    remote_subnets:
                      - 198.18.0.0/23
                      - 198.19.0.1/32
                    persistent_keepalive: 25
                    policy:
                      - allow both icmp type 8
                      - allow both
                """.formatted(B_PRIVATE, A_PUBLIC));
        List<Audit.Finding> found = new Audit(NOW, Optional.empty()).run(List.of(a, b));
        List<String> got = found.stream().map(f -> Path.of(f.file()).getFileName() + ":" + f.line() + " " + f.code())
                .sorted().toList();
        assertEquals(List.of(
                "weak-a.yaml:10 allow-all",       // office-b has no policy rules
                "weak-a.yaml:12 psk-age",         // old.psk, 120 days
                "weak-a.yaml:15 broad-selector",  // 198.18.2.0/23, where office-b serves 198.18.2.0/24
                "weak-a.yaml:16 keepalive",       // 60 s
                "weak-b.yaml:1 inline-key",       // private_key written in the file
                "weak-b.yaml:14 broad-selector",  // 198.18.0.0/23, where office-a serves 198.18.1.0/24
                "weak-b.yaml:19 allow-all"),      // allow both
                got, () -> String.join("\n", found.stream().map(Audit.Finding::toString).toList()));
        assertTrue(found.stream().anyMatch(f -> f.message().equals("rotate the PSK: 120 days old (preshared_key_file "
                + psk + ")") && f.fix().startsWith("make a new key with: umask 077; sitelink genpsk > " + psk)),
                found::toString);
    }

    @Test
    void anIkev2SitesOldPskIsFoundAtItsPskFileLine(@TempDir Path dir) throws Exception {
        Path d = ExamplesTest.examples(dir);
        Path site = d.resolve("office-a-ipsec.yaml");
        Files.copy(Path.of("examples/office-a-ipsec.yaml"), site);
        Path psk = d.resolve("office-a-branch.psk");
        Files.writeString(psk, "0123456789abcdef0123456789abcdef0123\n");
        Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString("rw-------"));
        assertEquals(List.of(), new Audit(NOW, Optional.empty()).run(List.of(site)), "a fresh key");
        Files.setLastModifiedTime(psk, FileTime.from(NOW.minus(Duration.ofDays(97))));
        List<Audit.Finding> f = new Audit(NOW, Optional.empty()).run(List.of(site));
        assertEquals(1, f.size(), f::toString);
        assertEquals("psk-age", f.get(0).code());
        assertEquals(22, f.get(0).line(), "the psk_file line");
        assertTrue(f.get(0).message().startsWith("rotate the PSK: 97 days old"), f::toString);
    }

    @Test
    void aKeyFileOthersMayReadIsAFinding(@TempDir Path dir) throws Exception {
        Path d = ExamplesTest.examples(dir);
        Files.setPosixFilePermissions(d.resolve("office-a.key"), PosixFilePermissions.fromString("rw-r--r--"));
        List<Audit.Finding> f = new Audit(NOW, Optional.empty()).run(List.of(d.resolve("office-a.yaml")));
        assertEquals(1, f.size(), f::toString);
        assertEquals(7, f.get(0).line(), "the private_key_file line");
        assertTrue(f.get(0).severity().compareTo(Audit.Severity.WARNING) >= 0, f::toString);
    }

    @Test
    void aChangeSinceTheLastAuditIsReportedOnce(@TempDir Path dir) throws Exception {
        Path d = ExamplesTest.examples(dir);
        Path file = d.resolve("office-a.yaml");
        Optional<Path> state = Optional.of(dir.resolve("state"));
        assertEquals(List.of(), new Audit(NOW, state).run(List.of(file)), "the first audit records, finds nothing");
        assertEquals(List.of(), new Audit(NOW, state).run(List.of(file)), "unchanged");
        Files.writeString(file, Files.readString(file).replace("listen_port: 51820", "listen_port: 51821"));
        List<Audit.Finding> f = new Audit(NOW.plusSeconds(60), state).run(List.of(file));
        assertEquals(1, f.size(), f::toString);
        assertEquals("changed", f.get(0).code());
        assertTrue(f.get(0).message().contains(NOW.toString()), "names the last audit's time: " + f.get(0));
        assertEquals(List.of(), new Audit(NOW.plusSeconds(120), state).run(List.of(file)), "reported once");
    }

    private static Path site(Path dir, String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }
}
