package sitelink.pqpsk;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import sitelink.crypto.Key;
import sitelink.ike.DhGroup;
import sitelink.ike.Ike;
import sitelink.tunnel.Clock;

/**
 * The post-quantum preshared key with one WireGuard peer that runs sitelink too, sans-IO: messages and {@link #tick}
 * go in, {@link Action}s come out (send this message through the tunnel, install these preshared keys). Time comes
 * from the injected {@link Clock}, randomness from the injected generator.
 *
 * <p>Every {@link Settings#interval} the initiator (the side whose WireGuard public key sorts lower) sends an ML-KEM-768
 * encapsulation key; the responder encapsulates to it and answers with the ciphertext; both derive the next key
 * ({@link PqKdf}). The installing order leaves no moment in which the side that answers a WireGuard handshake uses a
 * key the side that initiated it does not accept (WireGuard's initiator tries the primary key, then the alternate):
 * <pre>
 *                      primary (answers with)   alternate (also accepts)
 *   responder, INIT    K(n-1)                   K(n)        after sending RESPONSE
 *   initiator, RESP    K(n)                     K(n-1)      after the confirm verified, sending ACK
 *   responder, ACK     K(n)                     K(n-1)      then forces a handshake under K(n)
 * </pre>
 * Fail closed: traffic may pass ({@link #open}) only once an exchange succeeded and a WireGuard handshake completed
 * after its key was installed, and only until {@link Settings#failClosed} after the latest successful exchange. Then
 * the chain starts again from the configured key (which a restarted peer also has), announced by a reset INIT.
 *
 * <p>Thread-safety: every method synchronizes on the exchange.
 */
public final class PqPskExchange {
    /** The defaults of docs/post-quantum.md: a new key every two minutes, closed after three without one. */
    public record Settings(Duration interval, Duration failClosed, Duration retry) {
        public static final Settings DEFAULT = new Settings(Duration.ofSeconds(120), Duration.ofSeconds(180),
                Duration.ofSeconds(2));
    }

    /** What the caller does next, in order. */
    public sealed interface Action {
        /** Send this message to the peer through the tunnel. */
        record Send(byte[] message) implements Action {
        }

        /**
         * Install these as the peer's WireGuard preshared keys: {@code primary} used in every handshake,
         * {@code alternate} also accepted in a response to our initiation. {@code handshake}: start a new handshake now
         * so that the primary key takes effect at once.
         */
        record Install(Key primary, Key alternate, boolean handshake) implements Action {
        }
    }

    /** What status shows: the epoch of the key in use, when it was agreed, and why traffic is held back if it is. */
    public record Status(boolean initiator, long epoch, Optional<Instant> lastExchange, long exchanges, long refused,
                         Optional<String> closed) {
    }

    private final boolean initiator;
    private final Key ours, peer, configured;
    private final Settings settings;
    private final Clock clock;
    private final SecureRandom random;

    /** The key of the latest confirmed epoch (the configured key at epoch 0) and its epoch. */
    private Key current;
    private long epoch;
    private long lastSuccessNanos;
    private Instant lastSuccessAt;
    private boolean succeeded;
    /** A WireGuard handshake completed after the first key of this chain was installed. */
    private boolean handshakeSeen;
    private Instant installedAt;
    private long exchanges, refused;
    /** Set when the chain ended at the fail-closed timeout, until an exchange succeeds again. */
    private boolean timedOut;

    // initiator: the exchange in flight
    private DhGroup.Exchange pendingKem;
    private byte[] pendingInit;
    private long pendingEpoch;
    private long nextSendNanos;
    private byte[] lastAck;
    private long lastAckEpoch;

    // responder: the key answered but not yet acknowledged
    private Key staged;
    private byte[] stagedConfirm;
    private long stagedEpoch;
    private byte[] stagedInit, stagedResponse;

    public PqPskExchange(Key ours, Key peer, Key configured, Settings settings, Clock clock, SecureRandom random) {
        this.ours = ours;
        this.peer = peer;
        this.configured = configured;
        this.settings = settings;
        this.clock = clock;
        this.random = random;
        this.initiator = isInitiator(ours, peer);
        this.current = configured;
        this.nextSendNanos = clock.nanoTime();
    }

    /** The side whose public key sorts lower (unsigned, byte by byte) starts every exchange. */
    public static boolean isInitiator(Key ours, Key peer) {
        return Arrays.compareUnsigned(ours.bytes(), peer.bytes()) < 0;
    }

    // ---------------------------------------------------------------- time

    /** Starts or retries the initiator's exchange when due; at the fail-closed deadline, starts the chain again. */
    public synchronized List<Action> tick() {
        List<Action> out = new ArrayList<>();
        long now = clock.nanoTime();
        if (succeeded && now - lastSuccessNanos >= settings.failClosed().toNanos()) {
            restartChain(out);
            timedOut = true;
        }
        if (initiator && now - nextSendNanos >= 0) {
            if (pendingInit == null) {
                startExchange();
            }
            out.add(new Action.Send(pendingInit));
            nextSendNanos = now + settings.retry().toNanos();
        }
        return out;
    }

    /** The nanoTime of the next thing {@link #tick} has to do. */
    public synchronized long nextDeadline() {
        long d = succeeded ? lastSuccessNanos + settings.failClosed().toNanos() : Long.MAX_VALUE;
        return initiator && nextSendNanos - d < 0 ? nextSendNanos : d;
    }

    /**
     * Whether data may pass now: a key of this chain is agreed and less than {@link Settings#failClosed} old, and a
     * WireGuard handshake has completed since its first key was installed (so no packet rides a session that was
     * set up without it).
     */
    public synchronized boolean open() {
        return succeeded && handshakeSeen && clock.nanoTime() - lastSuccessNanos < settings.failClosed().toNanos();
    }

    /** The peer's latest WireGuard handshake, as the core saw it: one after our first install opens the tunnel. */
    public synchronized void observeHandshake(Optional<Instant> latest) {
        if (!handshakeSeen && installedAt != null && latest.isPresent() && latest.get().isAfter(installedAt)) {
            handshakeSeen = true;
        }
    }

    public synchronized Status status() {
        Optional<String> closed = Optional.empty();
        if (timedOut) {
            closed = Optional.of("no post-quantum key exchange for " + settings.failClosed().toSeconds() + " s (last at "
                    + lastSuccessAt + "): traffic held back until one succeeds");
        } else if (!succeeded) {
            closed = Optional.of("waiting for the first post-quantum key exchange with the peer");
        } else if (!open()) {
            closed = Optional.of("waiting for the first WireGuard handshake under the post-quantum key");
        }
        return new Status(initiator, epoch, Optional.ofNullable(lastSuccessAt), exchanges, refused, closed);
    }

    // ---------------------------------------------------------------- messages

    /** A message from the peer (the payload of a control packet the tunnel authenticated). */
    public synchronized List<Action> receive(byte[] message) {
        List<Action> out = new ArrayList<>();
        Optional<PqMessage> parsed = PqMessage.parse(message);
        if (parsed.isEmpty()) {
            refused++;
            return out;
        }
        PqMessage m = parsed.get();
        boolean ok = switch (m.type()) {
            case PqMessage.INIT -> !initiator && answer(m, message, out);
            case PqMessage.RESPONSE -> initiator && complete(m, out);
            case PqMessage.ACK -> !initiator && acknowledged(m, out);
            default -> false;
        };
        if (!ok) {
            refused++;
        }
        return out;
    }

    private void startExchange() {
        boolean reset = !succeeded;
        pendingEpoch = reset ? 1 : epoch + 1;
        pendingKem = DhGroup.generate(Ike.ML_KEM_768, random);
        pendingInit = new PqMessage(PqMessage.INIT, reset, pendingEpoch, pendingKem.publicValue()).encode();
    }

    /** Initiator: the responder's ciphertext and proof; installs the new key, acknowledges. */
    private boolean complete(PqMessage m, List<Action> out) {
        if (pendingInit == null || m.epoch() != pendingEpoch) {
            if (lastAck != null && m.epoch() == lastAckEpoch) { // our ACK was lost and the INIT retried: say it again
                out.add(new Action.Send(lastAck));
                return true;
            }
            return false;
        }
        byte[] ciphertext = Arrays.copyOf(m.body(), PqMessage.CIPHERTEXT);
        byte[] proof = Arrays.copyOfRange(m.body(), PqMessage.CIPHERTEXT, m.body().length);
        Optional<byte[]> secret = pendingKem.agree(ciphertext);
        if (secret.isEmpty()) {
            return false;
        }
        Key previous = pendingEpoch == 1 ? configured : current;
        PqKdf.Derived d = PqKdf.derive(secret.get(), previous, configured, ours, peer, pendingEpoch, pendingInit,
                responseBody(m.epoch(), ciphertext));
        Arrays.fill(secret.get(), (byte) 0);
        if (!MessageDigest.isEqual(proof, PqKdf.confirm(d.confirmKey(), "response"))) {
            return false; // tampered on the way, or derived differently: keep the old key, retry the same INIT
        }
        lastAck = new PqMessage(PqMessage.ACK, false, pendingEpoch, PqKdf.confirm(d.confirmKey(), "ack")).encode();
        lastAckEpoch = pendingEpoch;
        out.add(new Action.Install(d.presharedKey(), current, false));
        out.add(new Action.Send(lastAck));
        succeed(d.presharedKey(), pendingEpoch);
        pendingInit = null;
        pendingKem = null;
        nextSendNanos = clock.nanoTime() + settings.interval().toNanos();
        return true;
    }

    /** Responder: encapsulates to the initiator's key; the new key is accepted from now on but used only after the ACK. */
    private boolean answer(PqMessage m, byte[] init, List<Action> out) {
        if (stagedInit != null && m.epoch() == stagedEpoch && Arrays.equals(init, stagedInit)) {
            out.add(new Action.Send(stagedResponse)); // our RESPONSE was lost: the same again
            return true;
        }
        if (m.reset()) {
            // Only from a chain that ended (our own timeout, or we started afresh): a reset INIT replayed into a
            // working chain must not end it. An initiator that timed out a moment before us retries until we did too.
            if (m.epoch() != 1 || succeeded) {
                return false;
            }
        } else if (staged != null && m.epoch() == stagedEpoch + 1) {
            promote(out, false); // the initiator completed the staged epoch (only our ACK was lost): it holds
        } else if (!succeeded || m.epoch() != epoch + 1) {
            return false; // a replay, or out of order
        }
        Optional<DhGroup.Response> kem = DhGroup.respond(Ike.ML_KEM_768, m.body(), random);
        if (kem.isEmpty()) {
            return false;
        }
        byte[] ciphertext = kem.get().publicValue();
        Key previous = m.reset() ? configured : current;
        PqKdf.Derived d = PqKdf.derive(kem.get().secret(), previous, configured, peer, ours, m.epoch(), init,
                responseBody(m.epoch(), ciphertext));
        Arrays.fill(kem.get().secret(), (byte) 0);
        staged = d.presharedKey();
        stagedConfirm = d.confirmKey();
        stagedEpoch = m.epoch();
        stagedInit = init.clone();
        stagedResponse = new PqMessage(PqMessage.RESPONSE, false, m.epoch(),
                PqKdf.concat(ciphertext, PqKdf.confirm(d.confirmKey(), "response"))).encode();
        out.add(new Action.Install(current, staged, false));
        out.add(new Action.Send(stagedResponse));
        if (succeeded) {
            // The exchange works: a lost ACK must not close the tunnel before the next INIT confirms this key.
            lastSuccessNanos = clock.nanoTime();
        }
        return true;
    }

    /** Responder: the initiator derived the same key and installed it; so do we, and a handshake puts it to use. */
    private boolean acknowledged(PqMessage m, List<Action> out) {
        if (staged == null || m.epoch() != stagedEpoch) {
            return m.epoch() == epoch && succeeded; // a repeated ACK of the epoch in use: harmless, nothing to do
        }
        if (!MessageDigest.isEqual(m.body(), PqKdf.confirm(stagedConfirm, "ack"))) {
            return false;
        }
        promote(out, true);
        return true;
    }

    private void promote(List<Action> out, boolean handshake) {
        out.add(new Action.Install(staged, current, handshake));
        succeed(staged, stagedEpoch);
        staged = null;
        stagedConfirm = null;
        stagedInit = null;
        stagedResponse = null;
    }

    private void succeed(Key key, long e) {
        current = key;
        epoch = e;
        succeeded = true;
        timedOut = false;
        exchanges++;
        lastSuccessNanos = clock.nanoTime();
        lastSuccessAt = clock.now();
        if (installedAt == null) {
            installedAt = lastSuccessAt;
        }
    }

    /**
     * Too long without an exchange, or the peer starts again: back to the configured key, which a peer that
     * restarted also has, so that WireGuard can set up a session to carry the next exchange. The last key stays
     * accepted for responses. Traffic stays held back until an exchange succeeds.
     */
    private void restartChain(List<Action> out) {
        Key last = current;
        current = configured;
        epoch = 0;
        succeeded = false;
        handshakeSeen = false;
        installedAt = null;
        staged = null;
        stagedInit = null;
        pendingInit = null;
        pendingKem = null;
        lastAck = null;
        nextSendNanos = clock.nanoTime();
        out.add(new Action.Install(configured, last, false));
    }

    private static byte[] responseBody(long epoch, byte[] ciphertext) {
        return new PqMessage(PqMessage.RESPONSE, false, epoch, ciphertext).encode();
    }

    public boolean initiator() {
        return initiator;
    }
}
