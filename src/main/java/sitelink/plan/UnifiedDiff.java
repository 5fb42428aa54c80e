package sitelink.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * A unified diff of two texts, as {@code diff -u} prints it (three lines of context), from a longest common
 * subsequence of their lines: site files are a few hundred lines, so the quadratic table is small.
 */
public final class UnifiedDiff {
    private static final int CONTEXT = 3;
    private static final long MAX_CELLS = 4_000_000;

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
        // The common head and tail first: an edit to a hub's file of thousands of lines leaves a small middle.
        int head = 0;
        while (head < x.size() && head < y.size() && x.get(head).equals(y.get(head))) {
            head++;
        }
        int tail = 0;
        while (tail < x.size() - head && tail < y.size() - head
                && x.get(x.size() - 1 - tail).equals(y.get(y.size() - 1 - tail))) {
            tail++;
        }
        int n = x.size() - head - tail;
        int m = y.size() - head - tail;
        // Beyond a few million cells the table would not fit the command's heap: the middle is then shown replaced.
        int[][] lcs = (long) (n + 1) * (m + 1) <= MAX_CELLS ? new int[n + 1][m + 1] : new int[1][1];
        if (lcs.length > 1 || n == 0) {
            for (int i = n - 1; i >= 0; i--) {
                for (int j = m - 1; j >= 0; j--) {
                    lcs[i][j] = x.get(head + i).equals(y.get(head + j)) ? lcs[i + 1][j + 1] + 1
                            : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
                }
            }
        }
        boolean table = lcs.length == n + 1;
        List<Op> ops = new ArrayList<>();
        for (int k = 0; k < head; k++) {
            ops.add(new Op(' ', k, k));
        }
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            if (table && i < n && j < m && x.get(head + i).equals(y.get(head + j))) {
                ops.add(new Op(' ', head + i++, head + j++));
            } else if (j < m && (i == n || table && lcs[i][j + 1] > lcs[i + 1][j])) {
                ops.add(new Op('+', head + i, head + j++));
            } else {
                ops.add(new Op('-', head + i++, head + j));
            }
        }
        for (int k = 0; k < tail; k++) {
            ops.add(new Op(' ', head + n + k, head + m + k));
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
            for (int at = start; at < end; at++) {
                Op o = ops.get(at);
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
