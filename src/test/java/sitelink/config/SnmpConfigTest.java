package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code events: {snmp: [...]}}: what is read, the defaults, and the message for each mistake. */
class SnmpConfigTest {
    @TempDir
    Path dir;

    @BeforeEach
    void passphrases() throws IOException {
        secret("auth", "auth-passphrase-1\n");
        secret("priv", "priv-passphrase-2\n");
        secret("short", "seven77\n");
    }

    void secret(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    }

    SiteFile parse(String events) {
        return SiteFile.parse("office-a.yaml", SiteFileTest.GOOD + "events:\n  snmp:\n" + events, dir,
                SiteFile.Format.YAML);
    }

    List<String> errors(String events) {
        return parse(events).errors().stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void v3AndV2cReceiversAreRead() {
        SiteFile f = parse("""
                    - {target: 198.51.100.9, user: nms, auth_passphrase_file: auth, priv_passphrase_file: priv}
                    - {target: "[2001:db8::9]:1162", version: 2c, community: monitoring}
                    - {target: nms.example.net, user: nms, auth_passphrase_file: auth, priv_passphrase_file: priv, engine_id: "80007ed90401020304"}
                """);
        assertEquals(List.of(), f.problems());
        List<SnmpTarget> t = f.config().orElseThrow().telemetry().snmp();
        assertEquals(3, t.size());
        assertEquals("198.51.100.9:162 (v3 user nms, authPriv SHA-256/AES-128, engine ID 80007ed9046f66666963652d61)",
                t.get(0).describe(), "port 162 and the engine ID from the site name by default");
        assertEquals(new SnmpTarget.Passphrase("auth-passphrase-1".getBytes(StandardCharsets.UTF_8)),
                t.get(0).auth().orElseThrow(), "the line end is not part of the passphrase");
        assertEquals("[2001:db8::9]:1162 (v2c)", t.get(1).describe());
        assertEquals(Optional.of("monitoring"), t.get(1).community());
        assertEquals("80007ed90401020304", t.get(2).engineIdHex());
        assertEquals("nms.example.net", t.get(2).host(), "a name is resolved when the gateway starts");
        assertTrue(f.keyFiles().stream().anyMatch(k -> k.label().equals("events snmp auth_passphrase_file")),
                "passphrase files are checked like key files (mode, owner)");
        assertTrue(!t.get(0).toString().contains("passphrase-1"), "no secret in toString");
    }

    @Test
    void mistakesAreNamedWithTheFix() {
        assertEquals(List.of("office-a.yaml:15:7: events snmp (version 3) has no user; add one, e.g. user: sitelink"),
                errors("    - {target: 198.51.100.9, auth_passphrase_file: auth, priv_passphrase_file: priv}\n"));
        assertTrue(errors("    - {target: 198.51.100.9, user: nms, auth_passphrase_file: short, priv_passphrase_file: priv}\n")
                .getFirst().contains("holds fewer than 8 characters; SNMPv3 (RFC 3414) needs at least 8"));
        assertTrue(errors("    - {target: 198.51.100.9, user: nms, auth_passphrase_file: nope, priv_passphrase_file: priv}\n")
                .getFirst().contains("does not exist; create it with: umask 077;"));
        assertTrue(errors("    - {target: 198.51.100.9, version: 1, community: public}\n").getFirst()
                .contains("events snmp version '1' is not 3 or 2c"));
        assertTrue(errors("    - {target: 198.51.100.9, version: 2c}\n").getFirst().contains("events snmp (version 2c) has no community; add one, e.g. community: monitoring"));
        assertTrue(errors("    - {target: 198.51.100.9, version: 2c, community: x, user: nms}\n").getFirst()
                .contains("events snmp user is for version 3"));
        assertTrue(errors("    - {target: 198.51.100.9, user: nms, auth_passphrase_file: auth, priv_passphrase_file: priv, "
                + "engine_id: xyz}\n").getFirst().contains("is not 5 to 32 bytes of hex"));
        assertTrue(errors("    - {target: \"198.51.100.9:99999\", version: 2c, community: x}\n").getFirst()
                .contains("is not HOST[:PORT]"));
        assertTrue(errors("    - {target: 198.51.100.9, version: 2c, community: x, colour: red}\n").getFirst()
                .contains("colour"), "unknown fields are named");
    }
}
