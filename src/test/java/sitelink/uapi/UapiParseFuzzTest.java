package sitelink.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import sitelink.NameLookups;

/**
 * Fuzzes {@link UapiProtocol#parseSet}: the lines a local client sends on the UAPI socket. Every input must give an
 * update or a refusal with a negative errno, never an exception (which would drop the connection without an answer)
 * and never a name lookup (the parser takes numeric addresses only: wg resolves names before it sends).
 * Seed corpus: src/test/resources/sitelink/uapi/UapiParseFuzzTestInputs/parseSet/.
 */
class UapiParseFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void parseSet(FuzzedDataProvider data) {
        List<String> lines = data.consumeRemainingAsString().lines().toList();
        long lookups = NameLookups.count();
        UapiProtocol.Parsed parsed = UapiProtocol.parseSet(lines);
        assertNotNull(parsed);
        if (parsed instanceof UapiProtocol.Parsed.Rejected r) {
            assertTrue(r.errno() < 0, "errno must be negative: " + r);
        }
        assertEquals(lookups, NameLookups.count(), "parseSet looked a name up");
    }
}
