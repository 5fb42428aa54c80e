package sitelink.agent;

import java.time.Instant;
import sitelink.tunnel.Clock;

/**
 * The agent's time and waiting: the project's {@link Clock}, and a wait on a monitor that ends at a deadline or when
 * another thread wakes it. The agent never reads the system clock nor waits in real time by itself, so its tests drive
 * every timer (the lease's renewal, the backoff) with a fake one.
 */
public interface AgentClock extends Clock {
    /**
     * Waits on {@code monitor}, which the caller holds, until {@link #wake} is called on it or {@link #nanoTime()}
     * reaches {@code deadline}. It may return earlier: the caller checks its condition and the time again.
     */
    void awaitUntil(Object monitor, long deadline) throws InterruptedException;

    /** Wakes the threads waiting on {@code monitor}, which the caller holds. */
    void wake(Object monitor);

    AgentClock SYSTEM = new AgentClock() {
        @Override
        public long nanoTime() {
            return Clock.SYSTEM.nanoTime();
        }

        @Override
        public Instant now() {
            return Clock.SYSTEM.now();
        }

        @Override
        public void awaitUntil(Object monitor, long deadline) throws InterruptedException {
            long left = deadline - nanoTime();
            if (left > 0) {
                monitor.wait(Math.max(1, left / 1_000_000));
            }
        }

        @Override
        public void wake(Object monitor) {
            monitor.notifyAll();
        }
    };
}
