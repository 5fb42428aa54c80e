package sitelink.wireguard;

import sitelink.tunnel.Clock;
import sitelink.tunnel.Environment;

import java.net.InetAddress;
import sitelink.tunnel.Drop;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import sitelink.crypto.Key;
import sitelink.tunnel.Results;

/**
 * The WireGuard protocol for one device, sans-IO: datagrams and packets go in, and what to do comes back in the
 * caller's {@link Results} (datagrams to send from and to which address, packets to deliver with their peer, the
 * reason a datagram was dropped); {@link #tick} drives the timers the same way. No sockets, no threads, no system
 * clock inside, so every path is testable with byte arrays and a fake clock (the shape of boringtun's {@code noise}
 * module and its {@code TunnResult}).
 *
 * <p>Thread-safety: {@link #receive} and {@link #send} may run concurrently on data-path threads, each with its own
 * results; per-peer state changes happen under the peer's monitor; configuration methods are synchronized on the core.
 */
public final class WireGuardCore {

    private static final byte[] EMPTY = new byte[0];
    /**
     * How long an ephemeral key made ahead of its handshake ({@link Handshake#prepare}) may wait for it: the session
     * lifetime, so that a rekey (after REKEY_AFTER_TIME) still finds one ready, and no unused ephemeral private key is
     * kept longer than a session's keys are.
     */
    static final long PREPARED_EPHEMERAL_LIFETIME_NANOS = Constants.REJECT_AFTER_TIME_NANOS;

    private final Environment env;
    private final Clock clock;
    private final SecureRandom random;
    private final ConcurrentHashMap<Key, Peer> peers = new ConcurrentHashMap<>();
    private final IndexTable indices;
    private final Sessions sessions;
    private final HandshakeLoad load;
    private final CoreDrops drops;
    private volatile LocalIdentity identity;
    private volatile CookieChecker cookieChecker;

    public WireGuardCore(Clock clock, SecureRandom random) {
        this(Environment.of(clock, random));
    }

    /** A core whose time and randomness all come from {@code env}. */
    public WireGuardCore(Environment env) {
        this.env = env;
        this.clock = env.clock();
        this.random = env.random();
        this.drops = new CoreDrops(clock, peers.values());
        indices = new IndexTable(random);
        sessions = new Sessions(indices);
        load = new HandshakeLoad(clock);
    }

    // ---------------------------------------------------------------- configuration

    /** Sets or (with the zero key) removes the private key. Existing sessions end; a peer with our own public key is removed. */
    public synchronized void setPrivateKey(Key privateKey) {
        LocalIdentity old = identity;
        if (old != null && old.privateKey().equals(privateKey)) {
            return;
        }
        if (privateKey.isZero()) {
            identity = null;
            cookieChecker = null;
        } else {
            LocalIdentity id = new LocalIdentity(privateKey);
            identity = id;
            cookieChecker = new CookieChecker(id, random, clock);
            Peer self = peers.get(id.publicKey());
            if (self != null) {
                removePeer(self.publicKey());
            }
        }
        for (Peer p : peers.values()) {
            synchronized (p) {
                sessions.zero(p);
                if (p.handshake != null) {
                    p.handshake.forgetPrepared();
                }
                p.handshake = newHandshake(p.publicKey(), p.presharedKey);
            }
        }
    }

    public Optional<Key> privateKey() {
        LocalIdentity id = identity;
        return id == null ? Optional.empty() : Optional.of(id.privateKey());
    }

    public Optional<Key> publicKey() {
        LocalIdentity id = identity;
        return id == null ? Optional.empty() : Optional.of(id.publicKey());
    }

    /**
     * Adds a peer, or returns the existing one. Returns empty for our own public key: like wireguard-go, a peer
     * that is ourselves is ignored.
     */
    public synchronized Optional<Peer> addPeer(Key publicKey) {
        LocalIdentity id = identity;
        if (id != null && id.publicKey().equals(publicKey)) {
            return Optional.empty();
        }
        Peer existing = peers.get(publicKey);
        if (existing != null) {
            return Optional.of(existing);
        }
        Peer[] holder = new Peer[1];
        PeerTimers.Actions actions = new PeerTimers.Actions() {
            @Override
            public void sendInitiation(boolean isRetry, Results out) {
                WireGuardCore.this.sendInitiation(holder[0], isRetry, out);
            }

            @Override
            public void sendKeepalive(Results out) {
                WireGuardCore.this.sendKeepalive(holder[0], out);
            }

            @Override
            public void handshakeGaveUp() {
                WireGuardCore.this.handshakeGaveUp(holder[0]);
            }

            @Override
            public void zeroKeyMaterial() {
                sessions.zero(holder[0]);
            }
        };
        Peer p = new Peer(publicKey, newHandshake(publicKey, Key.zero()), new CookieGenerator(publicKey, clock),
                actions, env);
        holder[0] = p;
        peers.put(publicKey, p);
        return Optional.of(p);
    }

    public synchronized void removePeer(Key publicKey) {
        Peer p = peers.remove(publicKey);
        if (p == null) {
            return;
        }
        endpointAddresses = null;
        synchronized (p) {
            p.timers.stop();
            sessions.zero(p);
            if (p.handshake != null) {
                p.handshake.forgetPrepared();
            }
            p.staged.clear();
        }
    }

    public Optional<Peer> peer(Key publicKey) {
        return Optional.ofNullable(peers.get(publicKey));
    }

    public Collection<Peer> peers() {
        return List.copyOf(peers.values());
    }

    public void setPresharedKey(Peer p, Key psk) {
        synchronized (p) {
            p.presharedKey = psk;
            if (p.handshake != null) {
                p.handshake.setPresharedKey(psk);
            }
        }
    }

    /**
     * The post-quantum key's rotation (docs/post-quantum.md): {@code primary} becomes the preshared key, and a
     * response to our initiation may also use {@code alternate} ({@link Key#zero()}: none).
     */
    public void setPresharedKeys(Peer p, Key primary, Key alternate) {
        synchronized (p) {
            p.presharedKey = primary;
            if (p.handshake != null) {
                p.handshake.setPresharedKey(primary);
                p.handshake.setAlternatePresharedKey(alternate);
            }
        }
    }

    /** Starts a handshake now, if the rate limit allows (REKEY_TIMEOUT since our last one): a new key takes effect. */
    public void initiateHandshake(Peer p, Results out) {
        synchronized (p) {
            sendInitiation(p, false, out);
        }
    }

    /** Sets a peer's endpoint, as {@code wg set ... endpoint} does: the sticky source is cleared with it. */
    public void setEndpoint(Peer p, InetSocketAddress endpoint) {
        p.setEndpoint(endpoint);
        endpointAddresses = null;
    }

    /** A local address that is no longer ours (the kernel refused it as a source): every peer stuck to it lets go. */
    public void forgetLocalSource(InetAddress gone) {
        for (Peer p : peers.values()) {
            p.forgetLocalSource(gone);
        }
    }

    /** Sets persistent keepalive; turning it on sends a keepalive at once (into {@code out}), as wireguard-go does. */
    public void setPersistentKeepalive(Peer p, int seconds, Results out) {
        synchronized (p) {
            int old = p.persistentKeepalive();
            p.setPersistentKeepaliveValue(seconds);
            p.timers.setPersistentKeepalive(seconds);
            if (seconds > 0 && old == 0 && identity != null) {
                sendKeepalive(p, out);
            }
        }
    }

    /**
     * The device's handshake queue is backed up (wireguard-go: an eighth full): count as under load for the next second,
     * whatever rate of messages the core itself got to see.
     */
    public void handshakeBacklog() {
        load.backlog();
    }

    /** For tests and the flood scenario: the handshake rate at which the device demands cookies. */
    public void setUnderLoadRate(int messagesPerSecond) {
        load.setUnderLoadRate(messagesPerSecond);
    }

    /** Receives every refused datagram with its source (diagnostic logs, status); called on failure paths only. */
    public void setDropListener(DropEvent.Listener listener) {
        drops.setListener(listener);
    }

    public long drops(Drop reason) {
        return drops.sum(reason);
    }

    // ---------------------------------------------------------------- timers

    /**
     * Fires expired timers of every peer, their datagrams (retries, keepalives, rekeys) into {@code out}; returns the
     * nanoTime of the next deadline (Long.MAX_VALUE if none).
     */
    public long tick(Results out) {
        long next = Long.MAX_VALUE;
        long now = clock.nanoTime();
        for (Peer p : peers.values()) {
            synchronized (p) {
                next = Math.min(next, p.timers.tick(out));
                if (p.handshake != null) {
                    // the ephemeral keys of the next handshake, made here rather than on its first packet's path
                    p.handshake.maintainPrepared(now, PREPARED_EPHEMERAL_LIFETIME_NANOS);
                }
            }
        }
        return next;
    }

    // ---------------------------------------------------------------- outbound

    /**
     * Encrypts an IP packet for {@code p} (the route lookup already chose the peer) into {@code out.buffer()} and
     * returns it to send, or stages it and starts a handshake when there is no usable session. The buffer must hold
     * {@code len + 15 + Keypair.OVERHEAD}.
     */
    public void send(Peer p, byte[] packet, int off, int len, Results out) {
        send(p, packet, off, len, out.buffer(), out);
    }

    private void send(Peer p, byte[] packet, int off, int len, byte[] scratch, Results out) {
        Peer.Endpoint ep = p.endpointOrNull();
        if (ep == null) {
            drops.count(Drop.NO_ENDPOINT, out);
            return;
        }
        Keypair kp = p.current;
        long nowNanos = clock.nanoTime(); // one clock read per packet, for both checks
        int n = kp != null && usable(kp, nowNanos) ? kp.encrypt(packet, off, len, scratch, 0) : -1;
        if (n < 0) {
            synchronized (p) {
                stage(p, Arrays.copyOfRange(packet, off, off + len));
                // A handshake may have completed between the look at the session above and this lock, and flushed
                // what was staged then: this packet would wait for the next one (wireguard-go's SendStagedPackets
                // looks again too). Without a new session, ask for one.
                Keypair now = p.current;
                if (now != kp && now != null && usable(now, clock.nanoTime())) {
                    flushStaged(p, out);
                } else {
                    sendInitiation(p, false, out);
                }
            }
            return;
        }
        out.sendSealed(0, ep.remote(), ep.local(), scratch, 0, n); // with the inner packet's outer TOS
        p.txBytes.addAndGet(n);
        // Steady state takes no lock: the timer hooks are lock-free, and only a due rekey needs the peer's monitor.
        p.timers.anyAuthenticatedPacketTraversal();
        p.timers.anyAuthenticatedPacketSent();
        if (len > 0) {
            p.stats.txPackets.increment();
            p.timers.dataSent();
        }
        if (rekeyDue(kp, nowNanos)) {
            synchronized (p) {
                sendInitiation(p, false, out);
            }
        }
    }

    private boolean usable(Keypair kp, long nowNanos) {
        return nowNanos - kp.createdNanos() < Constants.REJECT_AFTER_TIME_NANOS
                && !Constants.reachedRejectAfterMessages(kp.sendCounter());
    }

    private void stage(Peer p, byte[] packet) {
        if (p.staged.size() >= Peer.MAX_STAGED_PACKETS) {
            p.staged.pollFirst();
            drops.count(Drop.STAGED_QUEUE_FULL);
        }
        p.staged.addLast(packet);
    }

    /** Whitepaper 6.2: the initiator rekeys after REKEY_AFTER_TIME; either side after REKEY_AFTER_MESSAGES. */
    private boolean rekeyDue(Keypair kp, long nowNanos) {
        return Long.compareUnsigned(kp.sendCounter(), Constants.REKEY_AFTER_MESSAGES) > 0
                || (kp.isInitiator() && nowNanos - kp.createdNanos() > Constants.REKEY_AFTER_TIME_NANOS);
    }

    /** Whitepaper 6.2: an initiator that receives on a session about to expire rekeys once, in its last minute. */
    private boolean lastMinuteRekeyDue(Peer p, long nowNanos) {
        Keypair kp = p.current;
        return kp != null && kp.isInitiator() && !p.sentLastMinuteHandshake
                && nowNanos - kp.createdNanos() > Constants.REJECT_AFTER_TIME_NANOS
                        - Constants.KEEPALIVE_TIMEOUT_NANOS - Constants.REKEY_TIMEOUT_NANOS;
    }

    /** Sends a handshake initiation if the rate limit allows. Caller holds the peer's monitor. */
    private void sendInitiation(Peer p, boolean isRetry, Results out) {
        Peer.Endpoint ep = p.endpointOrNull();
        if (identity == null || p.handshake == null || ep == null) {
            return;
        }
        if (!p.timers.mayInitiate(isRetry)) {
            return; // a refused retry re-arms itself in PeerTimers
        }
        sessions.forgetPending(p);
        int index = indices.reserve(p);
        byte[] msg = p.handshake.createInitiation(index, clock.now());
        p.cookies.addMacs(msg);
        p.timers.anyAuthenticatedPacketTraversal();
        p.timers.anyAuthenticatedPacketSent();
        out.send(ep.remote(), ep.local(), msg, 0, msg.length);
        p.txBytes.addAndGet(msg.length);
        p.stats.initiationSent(clock.now());
        p.timers.handshakeInitiated();
    }

    /** Sends what waited for a session, or a keepalive when nothing waited. Caller holds the peer's monitor. */
    private void sendKeepalive(Peer p, Results out) {
        if (p.staged.isEmpty()) {
            p.staged.add(EMPTY);
        }
        flushStaged(p, out);
    }

    /** Each waiting packet is sealed into a buffer of its own: the results hold them all until the caller sends. */
    private void flushStaged(Peer p, Results out) {
        Keypair kp = p.current;
        if (kp == null || !usable(kp, clock.nanoTime())) {
            // wireguard-go's SendStagedPackets: no session yet, so what waits (a persistent keepalive too) asks for one.
            sendInitiation(p, false, out);
            return;
        }
        List<byte[]> waiting = new ArrayList<>(p.staged);
        p.staged.clear();
        for (byte[] packet : waiting) {
            send(p, packet, 0, packet.length, new byte[packet.length + 16 + Keypair.OVERHEAD], out);
        }
    }

    private void handshakeGaveUp(Peer p) {
        drops.handshakeTimedOut(p, p.staged.size());
        p.staged.clear();
        p.stats.gaveUp(clock.now());
    }

    // ---------------------------------------------------------------- inbound

    /**
     * True if {@code address} is the address of a peer's endpoint: a device serves its handshake messages first. The
     * device asks for every handshake message, under a flood tens of thousands a second, so the addresses are a set
     * looked up in constant time, whatever the number of peers (a hub has a thousand), rebuilt from the peers at most
     * every {@link #ENDPOINT_SET_MAX_AGE_NANOS}: a peer that just roamed waits in the common queue meanwhile.
     */
    public boolean isPeerEndpointAddress(java.net.InetAddress address) {
        EndpointAddresses set = endpointAddresses;
        long now = clock.nanoTime();
        if (set == null || now - set.builtAt() >= ENDPOINT_SET_MAX_AGE_NANOS) {
            java.util.Set<InetAddress> addresses = new java.util.HashSet<>();
            for (Peer p : peers.values()) {
                Peer.Endpoint ep = p.endpointOrNull();
                if (ep != null) {
                    addresses.add(ep.remote().getAddress());
                }
            }
            set = new EndpointAddresses(addresses, now);
            endpointAddresses = set;
        }
        return set.addresses().contains(address);
    }

    private static final long ENDPOINT_SET_MAX_AGE_NANOS = 1_000_000_000L;

    private record EndpointAddresses(java.util.Set<InetAddress> addresses, long builtAt) {
    }

    private volatile EndpointAddresses endpointAddresses;

    /**
     * True for the handshake messages (initiation, response, cookie reply): the ones that may cost public-key work, which
     * a device keeps off the thread that decrypts data (see {@link #receive}).
     */
    public static boolean isHandshakeMessage(byte[] buf, int len) {
        int type = Messages.classify(buf, len);
        return type == Constants.MESSAGE_INITIATION || type == Constants.MESSAGE_RESPONSE
                || type == Constants.MESSAGE_COOKIE_REPLY;
    }

    /** {@link #receive(InetSocketAddress, InetAddress, byte[], int, Results)} with the local address unknown. */
    public void receive(InetSocketAddress source, byte[] buf, int len, Results out) {
        receive(source, null, buf, len, out);
    }

    /**
     * Handles one datagram from {@code source} that reached the local address {@code local} (null if unknown: the
     * peer's answers then leave from the kernel's pick, else from {@code local}, a sticky source). A transport message
     * is opened into {@code out.buffer()} (at least {@code len} long) and delivered in {@code out}; answers go there
     * too. Any thread may call it; a device hands handshake messages ({@link #isHandshakeMessage}) to a thread of their
     * own behind a bounded queue, so that a flood of them never delays the decryption of data.
     */
    public void receive(InetSocketAddress source, InetAddress local, byte[] buf, int len, Results out) {
        switch (Messages.classify(buf, len)) {
            case Constants.MESSAGE_TRANSPORT -> receiveTransport(source, local, buf, len, out);
            case Constants.MESSAGE_INITIATION -> receiveInitiation(source, local, Arrays.copyOf(buf, len), out);
            case Constants.MESSAGE_RESPONSE -> receiveResponse(source, local, Arrays.copyOf(buf, len), out);
            case Constants.MESSAGE_COOKIE_REPLY -> receiveCookieReply(Arrays.copyOf(buf, len), out);
            default -> drops.count(Drop.INVALID_MESSAGE, out);
        }
    }

    private void receiveTransport(InetSocketAddress source, InetAddress local, byte[] buf, int len, Results out) {
        IndexTable.Entry e = indices.get(Messages.getInt(buf, Messages.TRANSPORT_RECEIVER));
        if (e == null || e.keypair() == null) {
            drops.fail(Drop.UNKNOWN_INDEX, source, null, out);
            return;
        }
        Keypair kp = e.keypair();
        Peer p = e.peer();
        long nowNanos = clock.nanoTime(); // one clock read per packet, for both checks
        if (nowNanos - kp.createdNanos() >= Constants.REJECT_AFTER_TIME_NANOS) {
            drops.fail(Drop.KEYPAIR_EXPIRED, source, p, out);
            return;
        }
        byte[] plain = out.buffer();
        int n = kp.decrypt(buf, 0, len, plain, 0);
        if (n < 0) {
            drops.fail(n == Keypair.DECRYPT_REPLAY ? Drop.REPLAY
                    : n == Keypair.DECRYPT_COUNTER_LIMIT ? Drop.KEYPAIR_EXPIRED : Drop.DECRYPT_FAILED, source, p, out);
            return;
        }
        p.rxBytes.addAndGet(len);
        p.updateEndpoint(source, local);
        p.stats.authenticated();
        if (kp == p.next) { // the first packet on a responder's new session: a transition, under the monitor
            synchronized (p) {
                if (sessions.confirm(p, kp)) {
                    p.timers.handshakeComplete();
                    p.setLastHandshake(clock.now());
                    p.stats.handshakeCompleted(false);
                    flushStaged(p, out);
                }
            }
        }
        if (lastMinuteRekeyDue(p, nowNanos)) {
            synchronized (p) {
                if (lastMinuteRekeyDue(p, nowNanos)) {
                    p.sentLastMinuteHandshake = true;
                    sendInitiation(p, false, out);
                }
            }
        }
        // Steady state: lock-free timer hooks.
        p.timers.anyAuthenticatedPacketTraversal();
        p.timers.anyAuthenticatedPacketReceived();
        if (n > 0) {
            p.stats.rxPackets.increment();
            p.timers.dataReceived();
        }
        if (n > 0) {
            out.deliver(p, plain, 0, n);
        }
    }

    /** Checks MAC1, and MAC2 under load (answering with a cookie reply when it is missing). */
    private boolean macsAcceptable(InetSocketAddress source, InetAddress local, byte[] msg, Results out) {
        CookieChecker checker = cookieChecker;
        if (checker == null) {
            drops.fail(Drop.NO_PRIVATE_KEY, source, null, out);
            return false;
        }
        if (!checker.checkMac1(msg, msg.length)) {
            drops.fail(Drop.MAC1_INVALID, source, null, out);
            return false;
        }
        if (!load.underLoad()) {
            return true;
        }
        // A source that already had its share is refused before the cookie work: whether its mac2 is valid or not,
        // it would get no handshake now. Under a flood from a cookie-answering attacker that is nearly every message.
        if (load.handshakesExhausted(source.getAddress())) {
            drops.count(Drop.HANDSHAKE_RATE_LIMITED, out);
            return false;
        }
        if (!checker.checkMac2(msg, msg.length, source)) {
            // One cookie reply serves a real peer's next attempt; a source sending many gets its share, then silence.
            if (!load.allowCookieReply(source.getAddress())) {
                drops.count(Drop.COOKIE_REPLY_RATE_LIMITED, out);
                return false;
            }
            byte[] reply = checker.createReply(msg, msg.length, source);
            out.send(source, local, reply, 0, reply.length);
            drops.count(Drop.COOKIE_REQUIRED, out);
            return false;
        }
        // The sender proved it receives at this address; it still gets only its share of our public-key work.
        if (!load.allowHandshake(source.getAddress())) {
            drops.count(Drop.HANDSHAKE_RATE_LIMITED, out);
            return false;
        }
        return true;
    }

    private void receiveInitiation(InetSocketAddress source, InetAddress local, byte[] msg, Results out) {
        if (!macsAcceptable(source, local, msg, out)) {
            return;
        }
        LocalIdentity id = identity;
        Optional<Initiation> opened = id == null ? Optional.empty() : Handshake.openInitiation(id, msg);
        if (opened.isEmpty()) {
            drops.fail(Drop.HANDSHAKE_DECRYPT_FAILED, source, null, out);
            return;
        }
        Peer p = peers.get(opened.get().remoteStatic());
        if (p == null) {
            drops.unknownPeer(source, opened.get().remoteStatic(), out);
            return;
        }
        synchronized (p) {
            // Our own initiation may be in flight (both sides initiated at once): the handshake keeps it beside the
            // responder state, so the answer to it still completes. Both handshakes then yield sessions at once,
            // where wireguard-go drops its own and both sides wait REKEY_TIMEOUT for a retry.
            if (p.handshake == null || !p.handshake.acceptInitiation(opened.get(), clock.nanoTime())) {
                drops.fail(Drop.HANDSHAKE_REPLAY, source, p, out);
                return;
            }
            p.rxBytes.addAndGet(msg.length);
            p.updateEndpoint(source, local);
            p.timers.anyAuthenticatedPacketTraversal();
            p.timers.anyAuthenticatedPacketReceived();
            int index = indices.reserve(p);
            Handshake.Response r = p.handshake.createResponse(index, clock.nanoTime());
            // The session is in place (next) before the response leaves: the initiator's first data packet may
            // reach the UDP reader before this thread returns, and must find it there to confirm it.
            sessions.begin(p, r.keypair(), false, false);
            indices.install(p, r.keypair());
            p.timers.sessionDerived();
            p.cookies.addMacs(r.message());
            out.send(source, local, r.message(), 0, r.message().length);
            p.txBytes.addAndGet(r.message().length);
            p.timers.anyAuthenticatedPacketTraversal();
            p.timers.anyAuthenticatedPacketSent();
            p.timers.handshakeResponseSent();
            p.stats.responseSent(clock.now());
        }
    }

    private void receiveResponse(InetSocketAddress source, InetAddress local, byte[] msg, Results out) {
        if (!macsAcceptable(source, local, msg, out)) {
            return;
        }
        IndexTable.Entry e = indices.get(Messages.getInt(msg, Messages.RESPONSE_RECEIVER));
        if (e == null || e.keypair() != null) {
            drops.fail(Drop.UNKNOWN_INDEX, source, null, out);
            return;
        }
        Peer p = e.peer();
        synchronized (p) {
            Optional<Keypair> kp = p.handshake == null ? Optional.empty()
                    : p.handshake.consumeResponse(msg, clock.nanoTime());
            if (kp.isEmpty()) {
                drops.fail(Drop.HANDSHAKE_RESPONSE_INVALID, source, p, out);
                return;
            }
            indices.install(p, kp.get());
            p.rxBytes.addAndGet(msg.length);
            p.updateEndpoint(source, local);
            p.timers.anyAuthenticatedPacketTraversal();
            p.timers.anyAuthenticatedPacketReceived();
            sessions.begin(p, kp.get(), true, yieldsInitiatorRole(p));
            p.timers.sessionDerived();
            p.timers.handshakeComplete();
            p.setLastHandshake(clock.now());
            p.stats.handshakeCompleted(true);
            sendKeepalive(p, out);
        }
    }

    private void receiveCookieReply(byte[] msg, Results out) {
        IndexTable.Entry e = indices.get(Messages.getInt(msg, Messages.COOKIE_RECEIVER));
        if (e == null) {
            drops.count(Drop.UNKNOWN_INDEX, out);
            return;
        }
        Peer p = e.peer();
        synchronized (p) {
            if (!p.cookies.consumeReply(msg)) {
                drops.count(Drop.HANDSHAKE_RESPONSE_INVALID, out);
            }
        }
    }

    // ---------------------------------------------------------------- sessions

    /** True when our static public key sorts below the peer's (unsigned, byte by byte): we yield when handshakes cross. */
    private boolean yieldsInitiatorRole(Peer p) {
        LocalIdentity id = identity;
        return id != null && Arrays.compareUnsigned(id.publicKey().bytes(), p.publicKey().bytes()) < 0;
    }

    private Handshake newHandshake(Key remoteStatic, Key psk) {
        LocalIdentity id = identity;
        if (id == null) {
            return null;
        }
        Handshake h = new Handshake(id, remoteStatic, random);
        h.setPresharedKey(psk);
        h.prepare(clock.nanoTime());
        return h;
    }

    /** Wall-clock now, for callers that report times. */
    Instant now() {
        return clock.now();
    }
}
