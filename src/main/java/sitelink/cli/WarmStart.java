package sitelink.cli;

import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import sitelink.tunnel.Clock;
import sitelink.wireguard.WarmUp;

/**
 * The warm-up {@code sitelink up} and {@code sitelink device} run before their interface is announced ready (issue 15):
 * a synthetic WireGuard session in memory ({@link WarmUp}), so that the JIT has compiled the handshake and the data path
 * when the first real packet arrives. Bounded in time; {@code SITELINK_WARMUP=off} turns it off.
 */
final class WarmStart {
    /** The environment variable that turns the warm-up off. */
    static final String SWITCH = "SITELINK_WARMUP";
    /** About 200 handshakes: what the JIT's first tier needs to compile the handshake's own methods. */
    static final int ROUNDS = 100;
    /** The interface waits for it, so it is bounded (checked between rounds, so one round may overrun it). */
    static final long BUDGET_NANOS = 800_000_000L;

    private WarmStart() {
    }

    /** False when the environment turns the warm-up off ({@value #SWITCH} = off, 0, false or no). */
    static boolean enabled(String value) {
        return value == null || !(value.equalsIgnoreCase("off") || value.equals("0") || value.equalsIgnoreCase("false")
                || value.equalsIgnoreCase("no"));
    }

    /** Runs the warm-up unless turned off, and logs what it did at INFO. */
    static void run(System.Logger log) {
        if (!enabled(System.getenv(SWITCH))) {
            log.log(Level.DEBUG, "warm-up skipped ({0}=off)", SWITCH);
            return;
        }
        WarmUp.Report r = WarmUp.run(ROUNDS, BUDGET_NANOS, Clock.SYSTEM, new SecureRandom());
        log.log(Level.INFO, "warmed up the handshake and data path: {0} handshakes and {1} packets in memory in {2} ms",
                Integer.toString(r.handshakes()), Long.toString(r.packets()), Long.toString(Math.round(r.millis())));
    }
}
