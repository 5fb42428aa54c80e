package sitelink.wireguard;

import sitelink.tunnel.Clock;

import static sitelink.wireguard.Constants.KEEPALIVE_TIMEOUT_NANOS;
import static sitelink.wireguard.Constants.MAX_PERSISTENT_KEEPALIVE_SECONDS;
import static sitelink.wireguard.Constants.MAX_TIMER_HANDSHAKES;
import static sitelink.wireguard.Constants.REKEY_TIMEOUT_JITTER_BOUND_MS;
import static sitelink.wireguard.Constants.REKEY_TIMEOUT_NANOS;
import static sitelink.wireguard.Constants.ZERO_KEY_MATERIAL_AFTER_NANOS;

import java.util.Objects;
import sitelink.tunnel.Results;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.random.RandomGenerator;

/**
 * The five per-peer timers of the whitepaper (section 6) as a sans-IO state machine: the owner reports events through
 * the "should be called after X" hooks and calls {@link #tick}, which runs the expired timers (calling back into
 * {@link Actions}) and says when to call it next. No threads, no sleeping, time from an injectable {@link Clock}.
 *
 * <p>The hooks and the expiry functions follow wireguard-go's {@code device/timers.go} and the kernel's
 * {@code drivers/net/wireguard/timers.c} one for one:
 * <ul>
 * <li><b>retransmit handshake</b>: armed when an initiation is sent (REKEY_TIMEOUT + 0..333 ms jitter), cancelled by a
 * completed handshake. On expiry it asks for a retry, or, once more than MAX_TIMER_HANDSHAKES retries have been sent,
 * gives up: it cancels the send-keepalive timer, drops staged packets and arms zero-key-material if not pending.</li>
 * <li><b>send keepalive</b>: armed when data is received (KEEPALIVE_TIMEOUT), cancelled when anything authenticated is
 * sent. Data received while it is pending asks for one more keepalive after it fires.</li>
 * <li><b>new handshake</b>: armed when data is sent and it is not pending (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter),
 * cancelled when anything authenticated is received: we sent but stopped hearing back.</li>
 * <li><b>zero key material</b>: (re)armed whenever a session is derived (REJECT_AFTER_TIME * 3).</li>
 * <li><b>persistent keepalive</b>: re-armed on every authenticated packet sent or received, when configured.</li>
 * </ul>
 *
 * <p>Threads: the hooks may be called from any thread (data-path workers, the handshake thread); {@link #tick} from one
 * device thread. The per-packet hooks take no lock: each timer is one atomic deadline slot, armed and cancelled with a
 * single atomic operation, as the kernel's mod_timer/del_timer are; tick() fires a timer only by compare-and-set from
 * the deadline it saw expire. The handshake bookkeeping (attempts, rate limit) and firing decisions sit under a private
 * lock that is never held while an {@link Actions} method runs, so actions may call back into the hooks (sending a
 * keepalive calls {@link #anyAuthenticatedPacketSent()}).
 */
public final class PeerTimers {

    /**
     * What the timers ask the owner to do. Called from {@link #tick} on the ticking thread, outside any lock; what it
     * sends goes into the tick's results.
     */
    public interface Actions {
        /**
         * Send a handshake initiation now, as wireguard-go's {@code SendHandshakeInitiation(isRetry)}: call
         * {@link #mayInitiate(boolean)} with the same flag, and if it allows, create and send the initiation, then call
         * {@link #anyAuthenticatedPacketTraversal()}, {@link #anyAuthenticatedPacketSent()} and
         * {@link #handshakeInitiated()}.
         */
        void sendInitiation(boolean isRetry, Results out);

        /** Send an empty transport packet (or stage one, which then triggers a handshake if there is no session). */
        void sendKeepalive(Results out);

        /**
         * The retransmit timer gave up: drop the packets staged while waiting for a session (wireguard-go
         * {@code FlushStagedPackets}, kernel {@code wg_packet_purge_staged_packets}). The half-done handshake itself is
         * left to {@link #zeroKeyMaterial()}, which the timers have armed.
         */
        void handshakeGaveUp();

        /** Destroy all keypairs and the handshake state: no new session for REJECT_AFTER_TIME * 3. */
        void zeroKeyMaterial();
    }

    /** The five timers, in the order they fire when several are due at the same instant. */
    enum Timer {
        RETRANSMIT_HANDSHAKE, SEND_KEEPALIVE, NEW_HANDSHAKE, ZERO_KEY_MATERIAL, PERSISTENT_KEEPALIVE
    }

    private static final Timer[] TIMERS = Timer.values();

    /** What an expired timer asks for, decided under the lock and done outside it. */
    private enum Expiry {
        NOTHING, SEND_RETRY_INITIATION, SEND_NEW_INITIATION, GIVE_UP, SEND_KEEPALIVE, SEND_PERSISTENT_KEEPALIVE, ZERO_KEYS
    }

    /** A deadline slot that holds no deadline: the timer is not armed. */
    private static final long DISARMED = Long.MIN_VALUE;

    private final Clock clock;
    private final RandomGenerator jitter;
    private final Actions actions;
    /** Guards the transitions that are not per-packet: handshake bookkeeping, firing, stop. */
    private final Object lock = new Object();

    /**
     * One slot per timer: its deadline, or DISARMED. The per-packet hooks arm and cancel with single atomic
     * operations (no lock, so the TUN and UDP threads never park on each other); tick() fires a timer only by a
     * compare-and-set from the deadline it saw expire, so a hook that re-armed it meanwhile wins.
     */
    private final AtomicLongArray deadlines = new AtomicLongArray(TIMERS.length);
    private volatile boolean needAnotherKeepalive;
    private volatile int persistentKeepaliveSeconds;
    private volatile boolean stopped;
    // Under the lock: the handshake rate limit and retry count.
    private int handshakeAttempts;
    private boolean sentHandshake;
    private long lastSentHandshake;

    public PeerTimers(Clock clock, RandomGenerator jitter, Actions actions) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.jitter = Objects.requireNonNull(jitter, "jitter");
        this.actions = Objects.requireNonNull(actions, "actions");
        for (int i = 0; i < TIMERS.length; i++) {
            deadlines.set(i, DISARMED);
        }
    }

    /**
     * Sets the persistent keepalive interval in seconds (0 = off, at most 65535). Turning it on (from 0) on a running
     * peer sends a keepalive at the next {@link #tick}, as wg and the kernel do when the setting is applied; turning
     * it off cancels the timer.
     */
    public void setPersistentKeepalive(int seconds) {
        if (seconds < 0 || seconds > MAX_PERSISTENT_KEEPALIVE_SECONDS) {
            throw new IllegalArgumentException("persistent keepalive " + seconds + " is outside 0.."
                    + MAX_PERSISTENT_KEEPALIVE_SECONDS + " seconds");
        }
        synchronized (lock) {
            int old = persistentKeepaliveSeconds;
            persistentKeepaliveSeconds = seconds;
            if (seconds == 0) {
                disarm(Timer.PERSISTENT_KEEPALIVE);
                return;
            }
            if (old != 0) {
                return;
            }
        }
        arm(Timer.PERSISTENT_KEEPALIVE, clock.nanoTime());
    }

    public int persistentKeepalive() {
        return persistentKeepaliveSeconds;
    }

    /** Call after a transport data packet (not a keepalive) was sent: if no reply comes, start a new handshake. */
    public void dataSent() {
        if (stopped || isPending(Timer.NEW_HANDSHAKE)) {
            return; // the steady state of a busy tunnel: one volatile read
        }
        armIfDisarmed(Timer.NEW_HANDSHAKE, clock.nanoTime() + KEEPALIVE_TIMEOUT_NANOS + REKEY_TIMEOUT_NANOS + jitter());
    }

    /** Call after a transport data packet (not a keepalive) was received: acknowledge it if we have nothing to send. */
    public void dataReceived() {
        if (stopped) {
            return;
        }
        if (isPending(Timer.SEND_KEEPALIVE) || !armIfDisarmed(Timer.SEND_KEEPALIVE, clock.nanoTime() + KEEPALIVE_TIMEOUT_NANOS)) {
            if (!needAnotherKeepalive) {
                needAnotherKeepalive = true;
            }
        }
    }

    /** Call after any authenticated packet was sent: handshake, data or keepalive. The peer heard from us. */
    public void anyAuthenticatedPacketSent() {
        disarm(Timer.SEND_KEEPALIVE);
    }

    /** Call after any authenticated packet was received: handshake, data or keepalive. The peer is alive. */
    public void anyAuthenticatedPacketReceived() {
        disarm(Timer.NEW_HANDSHAKE);
    }

    /** Call before an authenticated packet is sent or after one is received: restarts the persistent keepalive. */
    public void anyAuthenticatedPacketTraversal() {
        int s = persistentKeepaliveSeconds;
        if (s > 0) {
            arm(Timer.PERSISTENT_KEEPALIVE, clock.nanoTime() + s * 1_000_000_000L);
        }
    }

    /** Call after a handshake initiation was sent: retransmit it after REKEY_TIMEOUT + jitter unless answered. */
    public void handshakeInitiated() {
        arm(Timer.RETRANSMIT_HANDSHAKE, clock.nanoTime() + REKEY_TIMEOUT_NANOS + jitter());
    }

    /**
     * Call after a handshake response was consumed, or when the first data packet on a new responder session confirms
     * the key: stops the retransmissions and resets the attempt count.
     */
    public void handshakeComplete() {
        synchronized (lock) {
            disarm(Timer.RETRANSMIT_HANDSHAKE);
            handshakeAttempts = 0;
        }
    }

    /**
     * Call after a new keypair was derived (before sending a handshake response, or after consuming one): destroy all
     * key material REJECT_AFTER_TIME * 3 from now unless another session is derived first.
     */
    public void sessionDerived() {
        arm(Timer.ZERO_KEY_MATERIAL, clock.nanoTime() + ZERO_KEY_MATERIAL_AFTER_NANOS);
    }

    /**
     * Call when a handshake response is sent. Like an initiation it counts for the REKEY_TIMEOUT rate limit of
     * {@link #mayInitiate}: both wireguard-go and the kernel stamp {@code last_sent_handshake} there, so a responder
     * does not start a handshake of its own right after answering one.
     */
    public void handshakeResponseSent() {
        synchronized (lock) {
            lastSentHandshake = clock.nanoTime();
            sentHandshake = true;
        }
    }

    /**
     * Rate limit: may an initiation be sent now? Never within REKEY_TIMEOUT of the last handshake message sent
     * (whitepaper 6.1). A non-retry first resets the attempt count, as wireguard-go's {@code SendHandshakeInitiation}
     * and the kernel's {@code wg_packet_send_queued_handshake_initiation} do, even when the answer is no; a retry resets
     * nothing. A yes records now as the time of the last initiation (check and stamp are one step, as under
     * wireguard-go's handshake mutex), so the caller must then send one. Always no after {@link #stop()}.
     */
    public boolean mayInitiate(boolean isRetry) {
        synchronized (lock) {
            if (!isRetry) {
                handshakeAttempts = 0;
            }
            if (stopped) {
                return false;
            }
            long now = clock.nanoTime();
            if (sentHandshake && now - lastSentHandshake < REKEY_TIMEOUT_NANOS) {
                if (isRetry) {
                    // Both sides initiated at once and we answered theirs after sending ours: our retry is due
                    // within REKEY_TIMEOUT of that response. Refused and not re-armed, no initiation would ever
                    // follow on a tunnel without traffic (seen in StatusDiagnoseIT); retry when the limit lifts.
                    arm(Timer.RETRANSMIT_HANDSHAKE, lastSentHandshake + REKEY_TIMEOUT_NANOS + jitter());
                }
                return false;
            }
            lastSentHandshake = now;
            sentHandshake = true;
            return true;
        }
    }

    /** Retransmissions sent since the last handshake completed or the last non-retry initiation. */
    public int handshakeAttempts() {
        synchronized (lock) {
            return handshakeAttempts;
        }
    }

    /**
     * Runs every timer whose deadline has passed, earliest first, and returns the {@link Clock#nanoTime()} of the next
     * deadline, or Long.MAX_VALUE when no timer is armed. Call it again by then; a hook that arms an earlier timer
     * meanwhile is served by the caller's next tick (the device ticks at least every 100 ms).
     */
    public long tick(Results out) {
        while (true) {
            Timer fired;
            Expiry expiry;
            synchronized (lock) {
                if (stopped) {
                    return Long.MAX_VALUE;
                }
                long now = clock.nanoTime();
                fired = earliestExpired(now);
                if (fired == null) {
                    return nextDeadline();
                }
                int i = fired.ordinal();
                if (!deadlines.compareAndSet(i, deadlines.get(i), DISARMED)) {
                    continue; // a hook moved this timer just now: look again
                }
                expiry = expire(fired, now);
            }
            perform(expiry, out);
            if (fired == Timer.SEND_KEEPALIVE && needAnotherKeepalive) {
                // After the keepalive went out, as in timers.go: data that arrived while the timer was pending
                // asks for one more.
                needAnotherKeepalive = false;
                arm(Timer.SEND_KEEPALIVE, clock.nanoTime() + KEEPALIVE_TIMEOUT_NANOS);
            }
        }
    }

    /** Disarms every timer for good (peer removed, device down): hooks do nothing afterwards and tick() returns MAX. */
    public void stop() {
        synchronized (lock) {
            stopped = true;
            for (Timer t : TIMERS) {
                deadlines.set(t.ordinal(), DISARMED);
            }
            needAnotherKeepalive = false;
        }
    }

    boolean isPending(Timer timer) {
        return deadlines.get(timer.ordinal()) != DISARMED;
    }

    long deadline(Timer timer) {
        long d = deadlines.get(timer.ordinal());
        if (d == DISARMED) {
            throw new IllegalStateException(timer + " is not armed");
        }
        return d;
    }

    /** Under the lock, for the timer that just fired. */
    private Expiry expire(Timer timer, long now) {
        return switch (timer) {
            case RETRANSMIT_HANDSHAKE -> {
                if (handshakeAttempts > MAX_TIMER_HANDSHAKES) {
                    disarm(Timer.SEND_KEEPALIVE);
                    armIfDisarmed(Timer.ZERO_KEY_MATERIAL, now + ZERO_KEY_MATERIAL_AFTER_NANOS);
                    yield Expiry.GIVE_UP;
                }
                handshakeAttempts++;
                yield Expiry.SEND_RETRY_INITIATION;
            }
            case SEND_KEEPALIVE -> Expiry.SEND_KEEPALIVE;
            case NEW_HANDSHAKE -> Expiry.SEND_NEW_INITIATION;
            case ZERO_KEY_MATERIAL -> Expiry.ZERO_KEYS;
            case PERSISTENT_KEEPALIVE ->
                persistentKeepaliveSeconds > 0 ? Expiry.SEND_PERSISTENT_KEEPALIVE : Expiry.NOTHING;
        };
    }

    private void perform(Expiry expiry, Results out) {
        switch (expiry) {
            case NOTHING -> { }
            case SEND_RETRY_INITIATION -> actions.sendInitiation(true, out);
            case SEND_NEW_INITIATION -> actions.sendInitiation(false, out);
            case GIVE_UP -> actions.handshakeGaveUp();
            case SEND_KEEPALIVE, SEND_PERSISTENT_KEEPALIVE -> actions.sendKeepalive(out);
            case ZERO_KEYS -> actions.zeroKeyMaterial();
        }
    }

    /** Like the kernel's mod_peer_timer: (re)arms unless stopped. */
    private void arm(Timer timer, long at) {
        if (stopped) {
            return;
        }
        long d = at == DISARMED ? at + 1 : at;
        deadlines.set(timer.ordinal(), d);
    }

    /** Arms a timer that is not pending (one compare-and-set, so two racing hooks arm it once); true if this call did. */
    private boolean armIfDisarmed(Timer timer, long at) {
        long d = at == DISARMED ? at + 1 : at;
        if (stopped || !deadlines.compareAndSet(timer.ordinal(), DISARMED, d)) {
            return false;
        }
        return true;
    }

    /** Like the kernel's del_timer; reads first so that the steady state does not write a shared cache line. */
    private void disarm(Timer timer) {
        int i = timer.ordinal();
        if (deadlines.get(i) != DISARMED) {
            deadlines.set(i, DISARMED);
        }
    }

    private Timer earliestExpired(long now) {
        Timer best = null;
        long bestAt = 0;
        for (Timer t : TIMERS) {
            long d = deadlines.get(t.ordinal());
            if (d != DISARMED && d - now <= 0 && (best == null || d - bestAt < 0)) {
                best = t;
                bestAt = d;
            }
        }
        return best;
    }

    private long nextDeadline() {
        long best = Long.MAX_VALUE;
        boolean any = false;
        for (Timer t : TIMERS) {
            long d = deadlines.get(t.ordinal());
            if (d != DISARMED && (!any || d - best < 0)) {
                best = d;
                any = true;
            }
        }
        return best;
    }

    private long jitter() {
        return jitter.nextInt(REKEY_TIMEOUT_JITTER_BOUND_MS) * 1_000_000L;
    }
}
