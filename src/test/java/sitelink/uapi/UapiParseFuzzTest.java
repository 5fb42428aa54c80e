package sitelink.uapi;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;

/**
 * Fuzzes {@link UapiProtocol#parseSet}: the lines a local client sends on the UAPI socket. Every input must give an
 * update or a refusal with a negative errno, never an exception (which would drop the connection without an answer)
 * and never a name lookup (the parser takes numeric addresses only: wg resolves names before it sends).
 * Seed corpus: src/test/resources/sitelink/uapi/UapiParseFuzzTestInputs/parseSet/.
 */
class UapiParseFuzzTest {
    static {
        // Loads (and, when fuzzing, instruments) the parser's classes before any call is timed below.
        UapiProtocol.parseSet(List.of("private_key=0000000000000000000000000000000000000000000000000000000000000000",
                "public_key=0000000000000000000000000000000000000000000000000000000000000001", "endpoint=[::1]:1",
                "allowed_ip=198.18.0.0/15"));
    }

    @FuzzTest(maxDuration = "20s")
    void parseSet(FuzzedDataProvider data) {
        List<String> lines = data.consumeRemainingAsString().lines().toList();
        long start = System.nanoTime();
        UapiProtocol.Parsed parsed = UapiProtocol.parseSet(lines);
        assertNotNull(parsed);
        if (parsed instanceof UapiProtocol.Parsed.Rejected r) {
            assertTrue(r.errno() < 0, "errno must be negative: " + r);
        }
        // A name lookup waits for a resolver (seconds when none answers); parsing a few lines takes microseconds. The
        // bound is loose because a shared build machine can stall a thread for a while.
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "parseSet took seconds: a name lookup?");
    }
}
