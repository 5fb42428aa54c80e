package sitelink.agent;

import java.time.Duration;
import java.time.Instant;
import sitelink.wireguard.FakeClock;

/**
 * An {@link AgentClock} that moves only when a test says so, for one waiting thread (the agent's). It knows when that
 * thread waits with nothing left to do ({@link #settle()}), so a test can move time to each deadline in turn
 * ({@link #runFor}) and then look at what the agent did, without sleeping.
 */
final class FakeAgentClock implements AgentClock {
    /** How long a test waits, in real time, for the agent's thread to come to rest. */
    private static final Duration REAL_TIMEOUT = Duration.ofSeconds(20);

    private final FakeClock time = new FakeClock();
    /** The monitor the agent waits on, once it waited; it guards {@link #parked} and {@link #deadline}. */
    private volatile Object monitor;
    /** The agent's thread waits and nothing woke it since: it has nothing to do until {@link #deadline}. */
    private boolean parked;
    private long deadline;

    @Override
    public long nanoTime() {
        return time.nanoTime();
    }

    @Override
    public Instant now() {
        return time.now();
    }

    /** Time since the clock was made. */
    Duration elapsed() {
        return Duration.ofNanos(time.elapsed());
    }

    @Override
    public void awaitUntil(Object m, long until) throws InterruptedException {
        synchronized (this) {
            monitor = m;
            notifyAll();
        }
        if (until - nanoTime() <= 0) {
            return;
        }
        deadline = until;
        parked = true;
        m.notifyAll(); // a test in settle() waits on the monitor too
        try {
            while (parked) {
                m.wait();
            }
        } finally {
            parked = false;
        }
    }

    @Override
    public void wake(Object m) {
        parked = false;
        m.notifyAll();
    }

    /** Waits (in real time, bounded) until the agent's thread waits for the clock with nothing else to do. */
    void settle() {
        long end = System.nanoTime() + REAL_TIMEOUT.toNanos();
        Object m = monitor(end);
        synchronized (m) {
            while (!parked) {
                waitOn(m, end);
            }
        }
    }

    /** Moves time forward by {@code d}, stopping at each deadline the agent waits for to let it act. */
    void runFor(Duration d) {
        long end = nanoTime() + d.toNanos();
        while (true) {
            settle();
            Object m = monitor;
            synchronized (m) {
                if (deadline - end > 0) {
                    time.setNanos(end);
                    return;
                }
                time.setNanos(deadline);
                parked = false;
                m.notifyAll();
            }
        }
    }

    /**
     * Moves time to the deadline the agent waits for and lets it go, without waiting for it to come to rest (for a
     * call that will not return).
     */
    void fireNext() {
        settle();
        Object m = monitor;
        synchronized (m) {
            time.setNanos(deadline);
            parked = false;
            m.notifyAll();
        }
    }

    private synchronized Object monitor(long end) {
        while (monitor == null) {
            waitOn(this, end);
        }
        return monitor;
    }

    private static void waitOn(Object m, long end) {
        long left = end - System.nanoTime();
        if (left <= 0) {
            throw new AssertionError("the agent's thread did not come to rest within " + REAL_TIMEOUT.toSeconds() + " s");
        }
        try {
            m.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
