package sitelink.policy;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * {@link PolicyBench}'s operations timed in thread CPU time instead of wall-clock time: on a shared machine, another
 * process taking the core away inflates JMH's figures but not these (cache contention still shows). Prints, for each
 * operation, the fastest and the median of 15 rounds of 2 million operations, after 5 rounds of warm-up:
 * {@code java -cp target/jmh/benchmarks.jar sitelink.policy.PolicyCpuTime [FLOWS]} (FLOWS defaults to 1000).
 */
public final class PolicyCpuTime {
    private static final int ROUNDS = 15;
    private static final int OPS = 2_000_000;

    public static void main(String[] args) {
        int flows = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        PolicyBench established = bench(flows);
        time("establishedFlow", flows, established::establishedFlow);
        PolicyBench flood = bench(flows);
        time("synFlood", flows, flood::synFlood);
    }

    private static PolicyBench bench(int flows) {
        PolicyBench b = new PolicyBench();
        b.flows = flows;
        b.setUp();
        return b;
    }

    private static void time(String name, int flows, Supplier<Verdict> op) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] nanosPerOp = new long[ROUNDS];
        long verdicts = 0;
        for (int round = -5; round < ROUNDS; round++) {
            long start = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < OPS; i++) {
                verdicts += op.get().ordinal();
            }
            if (round >= 0) {
                nanosPerOp[round] = (threads.getCurrentThreadCpuTime() - start) / OPS;
            }
        }
        Arrays.sort(nanosPerOp);
        System.out.printf("%s flows=%d: fastest %d ns/op, median %d ns/op (verdicts %d)%n", name, flows, nanosPerOp[0],
                nanosPerOp[ROUNDS / 2], verdicts);
    }
}
