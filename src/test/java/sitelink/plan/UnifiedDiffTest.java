package sitelink.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class UnifiedDiffTest {
    @Test
    void equalTextsHaveNoDiff() {
        assertEquals("", UnifiedDiff.diff("a", "x\ny\n", "b", "x\ny\n"));
    }

    @Test
    void aChangedLineWithThreeLinesOfContextAsDiffUPrintsIt() {
        String a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        String b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assertEquals("--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n", UnifiedDiff.diff("a", a, "b", b));
    }

    @Test
    void distantChangesAreSeparateHunksAndANewFileIsAllAdded() {
        String a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n";
        String b = "A\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nL\n";
        assertEquals("--- x\n+++ y\n@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n@@ -9,4 +9,4 @@\n i\n j\n k\n-l\n+L\n",
                UnifiedDiff.diff("x", a, "y", b));
        assertEquals("--- /dev/null\n+++ n\n@@ -0,0 +1,2 @@\n+p\n+q\n", UnifiedDiff.diff("/dev/null", "", "n", "p\nq\n"));
    }
}
