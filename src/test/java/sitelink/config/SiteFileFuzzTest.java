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
import java.util.Arrays;
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
        int[] lines = lineLengths(text, format);
        for (ConfigProblem p : site.problems()) {
            Location at = p.location();
            // Messages made only on failure: a problem's text for every problem of every input was a tenth of the
            // wgQuick target's time.
            assertEquals(name, at.file(), () -> "problem in another file: " + p);
            assertTrue(at.line() >= 1 && at.line() <= lines.length, () -> "problem on a line that does not exist: " + p);
            assertTrue(at.column() >= 1 && at.column() <= lines[at.line() - 1] + 1,
                    () -> "problem past the end of its line: " + p);
        }
        assertEquals(lookups, NameLookups.count(), "reading the file looked a name up (endpoints are resolved at 'up')");
    }

    /**
     * The lengths of the file's lines as its reader counts them: YAML breaks lines as YAML 1.1 does (\r\n, \r, \n,
     * U+0085, U+2028, U+2029), wg-quick on \n and \r\n. A loop, not a pattern's split: the split was a tenth of the
     * YAML target's time, Jazzer's RegexInjection hook wrapping each call.
     */
    static int[] lineLengths(String text, SiteFile.Format format) {
        int[] lengths = new int[16];
        int count = 0;
        int start = 0;
        int i = 0;
        while (i <= text.length()) {
            int end = -1;
            int next = i + 1;
            if (i == text.length()) {
                end = i;
            } else {
                char c = text.charAt(i);
                if (format == SiteFile.Format.YAML) {
                    if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                        next = i + 2;
                        end = i;
                    } else if (c == '\r' || c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                        end = i;
                    }
                } else if (c == '\n') {
                    end = i > start && text.charAt(i - 1) == '\r' ? i - 1 : i;
                }
            }
            if (end >= 0) {
                if (count == lengths.length) {
                    lengths = Arrays.copyOf(lengths, count * 2);
                }
                lengths[count++] = end - start;
                start = next;
            }
            i = next;
        }
        return Arrays.copyOf(lengths, count);
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
