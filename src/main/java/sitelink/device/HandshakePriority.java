package sitelink.device;

import java.util.function.IntUnaryOperator;

/**
 * The handshake thread's nice value, chosen by how hard it works. At the default priority while handshakes come as
 * peers send them, so that a handshake's public-key work is not left waiting behind everything else on the machine (a
 * tunnel's first ping is its handshake: at nice 10 beside the JIT's compiler threads of a gateway just started, the
 * first pings took 11-20 ms against 7-10 ms, measured with two gateways on 2 cores). Lowered to
 * {@link Device#HANDSHAKE_THREAD_NICE} once the thread spends more than {@link #BUSY_SHARE_PERCENT} % of a
 * {@link #WINDOW_NANOS} window working, or its queue backs up (a flood, a hub's restart): the data-path threads then get
 * the CPU first, as before. Raised back after {@link #CALM_NANOS} without such a window, which needs the right to lower a
 * nice value (root with CAP_SYS_NICE, or RLIMIT_NICE: the systemd unit sets {@code LimitNICE=+0}); without it the
 * thread stays lowered, as it always was before, and says so once.
 */
final class HandshakePriority {
    static final long WINDOW_NANOS = 100_000_000L;
    static final int BUSY_SHARE_PERCENT = 30;
    static final long CALM_NANOS = 1_000_000_000L;

    /** Sets the calling thread's nice value; 0 or -errno. */
    private final IntUnaryOperator setNice;
    private final int lowNice;
    private boolean lowered;
    private boolean mayRaise = true;
    private long windowStart;
    private long workNanos;
    private long lastLoad;
    /** The errno of a refused raise, once, for the log; 0 when none is to be told. */
    private int refused;

    HandshakePriority(IntUnaryOperator setNice, int lowNice, long now) {
        this.setNice = setNice;
        this.lowNice = lowNice;
        this.windowStart = now;
    }

    /** A message took {@code nanos} of work, ending at {@code now}. */
    void worked(long nanos, long now) {
        workNanos += nanos;
        if (now - windowStart >= WINDOW_NANOS) {
            if (workNanos * 100 > (now - windowStart) * BUSY_SHARE_PERCENT) {
                load(now);
            }
            windowStart = now;
            workNanos = 0;
        }
    }

    /** The queue backed up (the device tells the tunnel too): lowered at once. */
    void backlog(long now) {
        load(now);
    }

    private void load(long now) {
        lastLoad = now;
        if (!lowered && setNice.applyAsInt(lowNice) == 0) {
            lowered = true;
        }
    }

    /** The queues are empty and the thread is about to wait: raised back if it has been calm long enough. */
    void idle(long now) {
        if (now - windowStart >= WINDOW_NANOS) {
            windowStart = now;
            workNanos = 0;
        }
        if (lowered && mayRaise && now - lastLoad >= CALM_NANOS) {
            int err = setNice.applyAsInt(0);
            if (err == 0) {
                lowered = false;
            } else {
                mayRaise = false;
                refused = -err;
            }
        }
    }

    boolean lowered() {
        return lowered;
    }

    /** The errno of a refused raise the first time it is asked, else 0. */
    int takeRefusal() {
        int e = refused;
        refused = 0;
        return e;
    }
}
