package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class KeyCommandsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private void wire(KeyCommands.Io io, String stdin) {
        io.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.US_ASCII));
        io.out = new PrintStream(out, true, StandardCharsets.US_ASCII);
        io.err = new PrintStream(err, true, StandardCharsets.US_ASCII);
        io.stdoutPath = Path.of("/nonexistent/stdout");
    }

    private String out() {
        return out.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void pubkeyOfRfc7748AlicesKeyIsHerPublicKey() {
        KeyCommands.PubKey cmd = new KeyCommands.PubKey();
        wire(cmd.io, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n");
        assertEquals(0, new CommandLine(cmd).execute());
        // 8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a in wg's base64 form.
        assertEquals("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n", out());
    }

    @Test
    void pubkeyRejectsMalformedInputWithExitCode1() {
        for (String bad : new String[] {"", "not a key\n", "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC=\n",
                "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=junk\n", "!!!!CnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n"}) {
            KeyCommands.PubKey cmd = new KeyCommands.PubKey();
            err.reset();
            out.reset();
            wire(cmd.io, bad);
            assertEquals(1, new CommandLine(cmd).execute(), bad);
            assertEquals("", out());
            assertTrue(err.toString(StandardCharsets.US_ASCII).startsWith("pubkey: Key is not the correct length or format"), bad);
        }
    }

    @Test
    void genkeyPrintsAClampedKeyIn44Characters() {
        KeyCommands.GenKey cmd = new KeyCommands.GenKey();
        wire(cmd.io, "");
        assertEquals(0, new CommandLine(cmd).execute());
        String line = out().strip();
        assertEquals(44, line.length());
        byte[] k = Base64.getDecoder().decode(line);
        assertEquals(0, k[0] & 7);
        assertEquals(0x40, k[31] & 0xc0);
    }

    @Test
    void genpskPrints32RandomBytes() {
        KeyCommands.GenPsk cmd = new KeyCommands.GenPsk();
        wire(cmd.io, "");
        assertEquals(0, new CommandLine(cmd).execute());
        assertEquals(32, Base64.getDecoder().decode(out().strip()).length);
    }

    @Test
    void warnsWhenWritingToAWorldReadableFile(@TempDir Path dir) throws Exception {
        Path open = Files.createFile(dir.resolve("open"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        Path closed = Files.createFile(dir.resolve("closed"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        KeyCommands.GenKey cmd = new KeyCommands.GenKey();
        wire(cmd.io, "");
        cmd.io.stdoutPath = closed;
        new CommandLine(cmd).execute();
        assertEquals("", err.toString(StandardCharsets.US_ASCII));
        cmd.io.stdoutPath = open;
        new CommandLine(cmd).execute();
        assertTrue(err.toString(StandardCharsets.US_ASCII).contains("Warning: writing to world accessible file."));
    }
}
