package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import sitelink.config.ExamplesTest;

class AuditCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int audit(String... args) {
        AuditCommand cmd = new AuditCommand();
        cmd.io.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.io.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        return new CommandLine(cmd).execute(args);
    }

    @Test
    void theExamplesPassWithExitZero(@TempDir Path dir) throws Exception {
        Path d = ExamplesTest.examples(dir);
        assertEquals(0, audit("--state-dir", dir.resolve("state").toString(), d.resolve("office-a.yaml").toString(),
                d.resolve("office-b.yaml").toString()), out + "" + err);
        assertEquals("2 files audited: no findings\n", out.toString());
    }

    @Test
    void aFindingAtTheThresholdExitsOneAndJsonCarriesFileLineAndFix(@TempDir Path dir) throws Exception {
        Path d = ExamplesTest.examples(dir);
        Path a = d.resolve("office-a.yaml");
        Files.writeString(a, Files.readString(a).replace("persistent_keepalive: 25", "persistent_keepalive: 90"));
        assertEquals(1, audit("--no-state", "--json", a.toString()), err.toString());
        JsonNode findings = new ObjectMapper().readTree(out.toString());
        assertEquals(1, findings.size(), out.toString());
        assertEquals("keepalive", findings.get(0).get("code").asText());
        assertEquals(26, findings.get(0).get("line").asInt(), "the persistent_keepalive line");
        assertEquals("warning", findings.get(0).get("severity").asText());
        assertTrue(findings.get(0).get("fix").asText().startsWith("use 25"), out.toString());
        out.reset();
        assertEquals(0, audit("--no-state", "--fail-on", "error", a.toString()), "a warning under --fail-on error");
        assertTrue(out.toString().contains("office-a.yaml:26: warning: persistent_keepalive of office-b is 90 s"), out.toString());
        assertEquals(2, audit("--no-state", "--fail-on", "loud", a.toString()));
    }
}
