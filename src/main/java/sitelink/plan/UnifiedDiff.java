package sitelink.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * A unified diff of two texts, as {@code diff -u} prints it (three lines of context), from a longest common
 * subsequence of their lines: site files are a few hundred lines, so the quadratic table is small.
 */
public final class UnifiedDiff {
    private static final int CONTEXT = 3;

    private UnifiedDiff() {
    }

    /** The diff from {@code a} (labelled {@code aName}) to {@code b}; empty when the texts are equal. */
    public static String diff(String aName, String a, String bName, String b) {
        List<String> x = a.lines().toList();
        List<String> y = b.lines().toList();
        if (x.equals(y)) {
            return "";
        }
        // ops: ' ' kept, '-' only in a, '+' only in b; with the line numbers in a and b each refers to.
        record Op(char kind, int ai, int bi) {
        }
        int[][] lcs = new int[x.size() + 1][y.size() + 1];
        for (int i = x.size() - 1; i >= 0; i--) {
            for (int j = y.size() - 1; j >= 0; j--) {
                lcs[i][j] = x.get(i).equals(y.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<Op> ops = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < x.size() || j < y.size()) {
            if (i < x.size() && j < y.size() && x.get(i).equals(y.get(j))) {
                ops.add(new Op(' ', i++, j++));
            } else if (j < y.size() && (i == x.size() || lcs[i][j + 1] > lcs[i + 1][j])) {
                ops.add(new Op('+', i, j++));
            } else {
                ops.add(new Op('-', i++, j));
            }
        }
        StringBuilder out = new StringBuilder("--- ").append(aName).append("\n+++ ").append(bName).append('\n');
        int k = 0;
        while (k < ops.size()) {
            if (ops.get(k).kind() == ' ') {
                k++;
                continue;
            }
            // A hunk: from CONTEXT kept lines before this change to CONTEXT after the last change within reach.
            int start = Math.max(0, k - CONTEXT);
            int end = k;
            int lastChange = k;
            while (end < ops.size() && end - lastChange <= 2 * CONTEXT) {
                if (ops.get(end).kind() != ' ') {
                    lastChange = end;
                }
                end++;
            }
            end = Math.min(ops.size(), lastChange + CONTEXT + 1);
            int aStart = ops.get(start).ai();
            int bStart = ops.get(start).bi();
            int aCount = 0;
            int bCount = 0;
            StringBuilder lines = new StringBuilder();
            for (int n = start; n < end; n++) {
                Op o = ops.get(n);
                String line = o.kind() == '+' ? y.get(o.bi()) : x.get(o.ai());
                lines.append(o.kind()).append(line).append('\n');
                aCount += o.kind() == '+' ? 0 : 1;
                bCount += o.kind() == '-' ? 0 : 1;
            }
            out.append("@@ -").append(range(aStart, aCount)).append(" +").append(range(bStart, bCount)).append(" @@\n")
                    .append(lines);
            k = end;
        }
        return out.toString();
    }

    /** diff's numbering: 1-based start and count; an empty range names the line before it. */
    private static String range(int start, int count) {
        return (count == 0 ? start : start + 1) + "," + count;
    }
}
