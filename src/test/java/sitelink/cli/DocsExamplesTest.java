package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every ```yaml block in README.md and docs/ is a site file a newcomer may copy: {@code sitelink check} must accept
 * it as written. Only the key files it names are put elsewhere (a test cannot write /etc/sitelink), holding a key
 * of mode 0600 as the docs say to create them (an IKEv2 psk_file gets the same 44 characters 'sitelink genpsk' writes); a listen port that something on this machine holds is not the
 * example's fault and is let pass.
 */
class DocsExamplesTest {
    private static final Pattern BLOCK = Pattern.compile("(?s)```yaml\\n(.*?)```");
    private static final Pattern KEY_FILE = Pattern.compile("(?m)^(\\s*(?:private_key_file|preshared_key_file|psk_file):\\s*)(\\S+)");
    private static final String KEY = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";

    @Test
    void everyYamlExampleInTheDocsPassesCheck(@TempDir Path dir) throws IOException {
        List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> s = Files.list(Path.of("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        int n = 0;
        for (Path doc : docs) {
            Matcher m = BLOCK.matcher(Files.readString(doc));
            while (m.find()) {
                n++;
                String where = doc + " example " + n;
                Path yaml = dir.resolve("example-" + n + ".yaml");
                Files.writeString(yaml, keyFilesIn(dir, n, m.group(1)));
                Files.setPosixFilePermissions(yaml, PosixFilePermissions.fromString("rw-------"));
                ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
                CheckCommand cmd = new CheckCommand();
                cmd.io.out = new PrintStream(out, true, StandardCharsets.UTF_8);
                cmd.io.err = new PrintStream(err, true, StandardCharsets.UTF_8);
                new CommandLine(cmd).execute(yaml.toString());
                // Exit 1 then has one possible cause left, the held port, which the filter lets pass.
                List<String> errors = err.toString(StandardCharsets.UTF_8).lines()
                        .filter(l -> !l.contains(": warning: ") && !l.contains(": note: "))
                        .filter(l -> !l.contains("is already in use on this machine") && !l.endsWith("; nothing was changed"))
                        .toList();
                assertEquals(List.of(), errors, where + ":\n" + m.group(1));
            }
        }
        assertFalse(n < 2, "found the examples of docs/configuration.md and docs/policy.md (" + n + ")");
    }

    /** The block with each key file it names moved into {@code dir}, created there with a key, mode 0600. */
    private static String keyFilesIn(Path dir, int n, String yaml) throws IOException {
        Matcher k = KEY_FILE.matcher(yaml);
        StringBuilder b = new StringBuilder();
        while (k.find()) {
            Path file = dir.resolve(n + "-" + Path.of(k.group(2)).getFileName());
            Files.writeString(file, KEY + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            k.appendReplacement(b, Matcher.quoteReplacement(k.group(1) + file));
        }
        return k.appendTail(b).toString();
    }
}
