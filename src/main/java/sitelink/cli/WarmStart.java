package sitelink.cli;

import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import sitelink.device.PipelineWarmUp;
import sitelink.tunnel.Clock;
import sitelink.wireguard.WarmUp;

/**
 * The warm-up {@code sitelink up} and {@code sitelink device} run before their interface is announced ready (issue 15),
 * so that the JIT has compiled the handshake and the data path when the first real packet arrives: first a synthetic
 * WireGuard session between two protocol cores in memory ({@link WarmUp}: many handshakes, cheaply), then the whole
 * data path of two real devices joined over loopback ({@link PipelineWarmUp}: the TUN and UDP calls, the threads,
 * pings, handshakes through the device and a TCP stream). Bounded in time; {@code SITELINK_WARMUP=off} turns it off.
 */
final class WarmStart {
    /** The environment variable that turns the warm-up off. */
    static final String SWITCH = "SITELINK_WARMUP";
    /** About 200 handshakes at most: what the JIT's first tier needs to compile the handshake's own methods. */
    static final int ROUNDS = 100;
    /** The cores' part (checked between rounds, so one round may overrun it). */
    static final long CORE_BUDGET_NANOS = 300_000_000L;
    /** The devices' part (checked between rounds; one round at least). */
    static final long PIPELINE_BUDGET_NANOS = 1_200_000_000L;
    /**
     * After the budget, rounds go on while the JIT's compilers are busy, at most this much longer: the compilations
     * the warm-up asked for (C2's take 1.5-2.5 s after the budget on two cores with two gateways starting) would
     * otherwise replace the data path's code under the first real packets. docs/benchmarks.md "Start-up".
     */
    static final long QUIET_CAP_NANOS = 3_000_000_000L;

    private WarmStart() {
    }

    /** False when the environment turns the warm-up off ({@value #SWITCH} = off, 0, false or no). */
    static boolean enabled(String value) {
        return value == null || !(value.equalsIgnoreCase("off") || value.equals("0") || value.equalsIgnoreCase("false")
                || value.equalsIgnoreCase("no"));
    }

    /** Runs the warm-up unless turned off, and logs what it did at INFO. */
    static void run(System.Logger log) {
        long t0 = System.nanoTime();
        String directives = JitDirectives.addFromProperty();
        log.log(Level.DEBUG, "JIT compiler directives: {0} ({1} ms)", directives,
                Long.toString((System.nanoTime() - t0) / 1_000_000));
        log.log(Level.DEBUG, "transport data sealed and opened with {0}", sitelink.crypto.ChaChaPoly.transportEngine());
        if (!enabled(System.getenv(SWITCH))) {
            log.log(Level.DEBUG, "warm-up skipped ({0}=off)", SWITCH);
            return;
        }
        SecureRandom random = new SecureRandom();
        WarmUp.Report r = WarmUp.run(ROUNDS, CORE_BUDGET_NANOS, Clock.SYSTEM, random);
        PipelineWarmUp.Report p = PipelineWarmUp.run(1, PIPELINE_BUDGET_NANOS, QUIET_CAP_NANOS, random);
        log.log(Level.INFO, "warmed up the handshake and data path: {0} handshakes in memory in {1} ms, then {2} "
                + "handshakes, {3} pings and {4} MiB of TCP through two devices over loopback in {5} ms ({6})",
                Integer.toString(r.handshakes()), Long.toString(Math.round(r.millis())),
                Integer.toString(p.handshakes()), Integer.toString(p.pings()), Long.toString(p.tcpBytes() >> 20),
                Long.toString(Math.round(p.millis())), p.quiet() ? "until the JIT compilers were done"
                        : "the JIT compilers still busy at its limit");
        if (!p.stopped().isEmpty()) {
            log.log(Level.INFO, "the devices'' warm-up over loopback ended early: {0}; the first packets will be slower",
                    p.stopped());
        }
    }
}
