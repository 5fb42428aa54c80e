package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import sitelink.NameLookups;

/**
 * Fuzzes the site-file reader ({@link SiteFile#parse}: YAML or wg-quick text, then {@link SiteValidator}) with
 * arbitrary text of up to 2 KiB. What must hold: never an exception; a configuration exactly when no error was
 * found; every problem located inside the file (its name, a line that exists, a column within that line or just past
 * it), so {@code file:line:col} always leads the user somewhere real; and no name lookup ({@link NameLookups}).
 * Key files named in the text are looked up in a directory holding one valid key, one broken key and nothing else.
 * Seed corpus: src/test/resources/sitelink/config/SiteFileFuzzTestInputs/{yaml,wgQuick}/.
 */
class SiteFileFuzzTest {
    private static final int MAX_TEXT = 2048;
    private static final Path DIR = keyDirectory();
    /**
     * Compiled once: String.split with a pattern compiles it on every call, and Jazzer's RegexInjection hook adds a
     * reflective call and a string-comparison hook to each; together they were a tenth of the YAML target's time.
     */
    private static final Pattern YAML_LINE_BREAK = Pattern.compile("\r\n|[\r\n\u0085\u2028\u2029]");
    private static final Pattern WG_QUICK_LINE_BREAK = Pattern.compile("\r?\n");

    @FuzzTest(maxDuration = "20s")
    void yaml(FuzzedDataProvider data) {
        check("office-a.yaml", data.consumeString(MAX_TEXT), SiteFile.Format.YAML);
    }

    @FuzzTest(maxDuration = "20s")
    void wgQuick(FuzzedDataProvider data) {
        check("wg0.conf", data.consumeString(MAX_TEXT), SiteFile.Format.WG_QUICK);
    }

    private static void check(String name, String text, SiteFile.Format format) {
        long lookups = NameLookups.count();
        SiteFile site;
        // Naming any path as a key file is what the file is for; Jazzer's path traversal detector would flag it.
        try (SilentCloseable anyPath = BugDetectors.setFilePathTraversalAllowPath(p -> true)) {
            site = SiteFile.parse(name, text, DIR, format);
        }
        assertEquals(site.errors().isEmpty(), site.config().isPresent(), "a configuration exactly when there is no error");
        String[] lines = lines(text, format);
        for (ConfigProblem p : site.problems()) {
            Location at = p.location();
            assertEquals(name, at.file(), "problem in another file: " + p);
            assertTrue(at.line() >= 1 && at.line() <= lines.length, "problem on a line that does not exist: " + p);
            assertTrue(at.column() >= 1 && at.column() <= lines[at.line() - 1].length() + 1,
                    "problem past the end of its line: " + p);
        }
        assertEquals(lookups, NameLookups.count(), "reading the file looked a name up (endpoints are resolved at 'up')");
    }

    /** The file's lines as its reader counts them: YAML breaks lines as YAML 1.1 does, wg-quick on \n and \r\n. */
    private static String[] lines(String text, SiteFile.Format format) {
        return (format == SiteFile.Format.YAML ? YAML_LINE_BREAK : WG_QUICK_LINE_BREAK).split(text, -1);
    }

    private static Path keyDirectory() {
        try {
            Path dir = Files.createTempDirectory("sitelink-fuzz-keys");
            Files.writeString(dir.resolve("office-a.key"), "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n");
            Files.writeString(dir.resolve("broken.key"), "not a key\n");
            dir.toFile().deleteOnExit();
            dir.resolve("office-a.key").toFile().deleteOnExit();
            dir.resolve("broken.key").toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
