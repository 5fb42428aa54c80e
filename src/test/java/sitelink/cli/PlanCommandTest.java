package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sitelink plan TOPOLOGY --out DIR} and {@code --diff}, on the small hub-and-spoke golden topology. */
class PlanCommandTest {
    private static final Path TOPOLOGY = Path.of("src/test/resources/plan/hub-and-spoke/topology.yaml");
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int plan(String... args) {
        out.reset();
        err.reset();
        PlanCommand cmd = new PlanCommand();
        cmd.io.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.io.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        return new CommandLine(cmd).execute(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void writesOneFilePerSiteThenDiffShowsWhatAnEditChangesAndWritesNothing(@TempDir Path dir) throws Exception {
        Path sites = dir.resolve("sites");
        assertEquals(0, plan(TOPOLOGY.toString(), "--out", sites.toString()));
        assertTrue(out().startsWith("wrote 4 of 4 site files to " + sites + ": hq.yaml, shop-1.yaml, shop-2.yaml, shop-3.yaml"), out());
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(sites.resolve("hq.yaml"))));
        assertEquals(Files.readString(TOPOLOGY.resolveSibling("expected/shop-2.yaml")), Files.readString(sites.resolve("shop-2.yaml")));

        assertEquals(0, plan("--diff", TOPOLOGY.toString(), "--out", sites.toString()));
        assertEquals("", out());
        assertEquals("no changes: the 4 site files in " + sites + " are what the topology says\n", err());

        // shop-3 moves to a new address; shop-4 joins.
        Path edited = dir.resolve("topology.yaml");
        Files.writeString(edited, Files.readString(TOPOLOGY).replace("203.0.113.13:51000", "203.0.113.33:51000").replace(
                "hub_policy:", """
                  - name: shop-4
                    subnets: [198.18.14.0/24]
                    behind_nat: true
                    public_key: QMSbCjvy94jfKbDRz+mgvS3tte9iflj8A6zCB7MoiHw=
                hub_policy:"""));
        byte[] before = Files.readAllBytes(sites.resolve("hq.yaml"));
        assertEquals(0, plan("--diff", edited.toString(), "--out", sites.toString()));
        String d = out();
        assertTrue(d.contains("--- " + sites.resolve("hq.yaml") + "\n+++ " + sites.resolve("hq.yaml") + "\n"), d);
        assertTrue(d.contains("-    endpoint: 203.0.113.13:51000\n+    endpoint: 203.0.113.33:51000\n"), d);
        assertTrue(d.contains("+  - name: shop-4\n"), d);
        assertTrue(d.contains("--- /dev/null\n+++ " + sites.resolve("shop-4.yaml") + "\n"), d);
        // shop-1 and shop-2 are kept apart, so the hub's rules for them gain shop-4; the spokes' routes gain it too.
        assertTrue(d.contains("+      - allow from dst 198.18.14.0/24"), d);
        assertTrue(d.contains("+      - 198.18.14.0/24               # shop-4, through hq\n"), d);
        assertEquals("5 of the site files in " + sites + " would change: hq.yaml, shop-1.yaml, shop-2.yaml, shop-3.yaml, "
                + "shop-4.yaml; nothing was written\n", err());
        assertEquals(List.of(before.length), List.of(Files.readAllBytes(sites.resolve("hq.yaml")).length));
        assertFalse(Files.exists(sites.resolve("shop-4.yaml")));

        // Writing it, then removing shop-2 from the topology: its file is reported, not deleted.
        assertEquals(0, plan(edited.toString(), "--out", sites.toString()));
        assertTrue(out().startsWith("wrote 5 of 5 site files"), out());
        Files.writeString(edited, Files.readString(edited).replace("keep_apart: [[shop-1, shop-2]]", "keep_apart: []")
                .replaceAll("(?s)  - name: shop-2\n.*?(?=  - name: shop-3)", ""));
        assertEquals(0, plan("--diff", edited.toString(), "--out", sites.toString()));
        assertTrue(out().contains("--- " + sites.resolve("shop-2.yaml") + "\n+++ /dev/null\n"), out());
        assertEquals(0, plan(edited.toString(), "--out", sites.toString()));
        assertEquals(sites.resolve("shop-2.yaml") + ": note: this site is no longer in the topology; stop its gateway and "
                + "remove the file\n", err());
        assertTrue(Files.exists(sites.resolve("shop-2.yaml")));
    }

    @Test
    void neverOverwritesAFileItDidNotWrite(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("hq.yaml"), "name: hq\n# by hand\n");
        assertEquals(1, plan(TOPOLOGY.toString(), "--out", dir.toString()));
        assertEquals(dir.resolve("hq.yaml") + ":1:1: was not written by 'sitelink plan'; plan does not overwrite it: move "
                + "it away (or delete it) if the topology now describes this site\n" + TOPOLOGY + ": nothing was written\n", err());
        assertEquals("name: hq\n# by hand\n", Files.readString(dir.resolve("hq.yaml")));
        assertFalse(Files.exists(dir.resolve("shop-1.yaml")));
    }

    @Test
    void aBadTopologyIsReportedLineByLineAndNothingIsWritten(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, Files.readString(TOPOLOGY).replace("[198.18.12.0/24]", "[198.18.11.0/25]"));
        assertEquals(1, plan(bad.toString(), "--out", dir.resolve("out").toString()));
        assertEquals(bad + ":16:14: subnet 198.18.11.0/25 of shop-2 overlaps subnet 198.18.11.0/24 of shop-1 (line 12); "
                + "every site needs its own addresses, or traffic for one goes to the other: renumber one\n"
                + bad + ": 1 error; nothing was written\n", err());
        assertFalse(Files.exists(dir.resolve("out")));
    }
}
