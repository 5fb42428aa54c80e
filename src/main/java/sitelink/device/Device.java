package sitelink.device;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import sitelink.crypto.Key;
import sitelink.os.tun.TcpCoalescer;
import sitelink.os.tun.TunIo;
import sitelink.os.socket.UdpIo;
import sitelink.os.socket.UdpSocket;
import sitelink.os.tun.VirtioNet;
import sitelink.packet.IpHeader;
import sitelink.packet.OuterTos;
import sitelink.policy.PacketFilter;
import sitelink.route.AllowedIps;
import sitelink.tunnel.Drop;
import sitelink.tunnel.Clock;
import sitelink.wireguard.DropEvent;
import sitelink.tunnel.Environment;
import sitelink.tunnel.Remote;
import sitelink.tunnel.Results;
import sitelink.tunnel.Tunnel;
import sitelink.wireguard.Peer;
import sitelink.wireguard.WireGuardCore;
import sitelink.wireguard.WireGuardTunnel;

/**
 * A running device: the TUN interface, the UDP socket, the tunnel protocol and the cryptokey routing table, wired by
 * four platform threads (TUN reader, UDP reader, handshakes, timers). The data path knows the protocol only as a
 * {@link Tunnel} and its remote sites as {@link Remote}s: TUN read → route lookup → filter → seal → UDP send, and
 * UDP receive → classify → open → source check → filter → TUN write. Configuration speaks WireGuard (UAPI) to the core.
 */
public final class Device implements DeviceControl, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("sitelink.device");
    /** Largest IP packet the TUN hands us; datagrams are at most this plus WireGuard's overhead. */
    static final int MAX_PACKET = 65535;
    /** Packets per TUN read batch and datagrams per recvmmsg/sendmmsg. */
    static final int BATCH = 64;
    private static final long MAX_TIMER_SLEEP_NANOS = 100_000_000L;
    private static final int EADDRINUSE = 98;

    /**
     * Handshake messages waiting for the handshake thread. Bounded, and full means dropped, as wireguard-go's
     * QueueHandshakeSize: under a flood the UDP reader spends on each handshake message only a type check and a
     * failed offer, and keeps decrypting data.
     */
    static final int HANDSHAKE_QUEUE = 1024;
    /**
     * Handshake messages from the address of a configured peer's endpoint wait in a queue of their own, served first, so
     * that a flood from elsewhere cannot crowd out a real peer's rekey. (Spoofing a peer's address fills only this
     * small queue, and only delays that peer.)
     */
    static final int PEER_HANDSHAKE_QUEUE = 64;
    /**
     * The handshake thread's nice value under load ({@link HandshakePriority}). Under a flood it works flat out; the
     * data-path threads, at the default 0, then get the CPU first (weight 1024 against 110 on Linux), so encrypted
     * data keeps flowing. Without load it keeps the default, so that a peer's handshake is answered at once.
     */
    static final int HANDSHAKE_THREAD_NICE = 10;
    /** After draining its queues the handshake thread naps this long before it may be woken per message again. */
    private static final long HANDSHAKE_BATCH_NANOS = 1_000_000L;
    /** The idle handshake thread's longest sleep when nothing wakes it (it is woken for every message). */
    private static final long HANDSHAKE_IDLE_NANOS = 1_000_000_000L;

    /**
     * A WireGuard handshake message that waited longer than this in the queue is dropped unread: its sender retries
     * after REKEY_TIMEOUT with a new message and forgets the old one's state, so an answer now would be thrown away.
     * Without this, a hub whose handshake thread falls behind a burst (a thousand spokes after a restart) would spend
     * all its Diffie-Hellman work on messages their senders have given up on, and none would complete.
     */
    static final long STALE_HANDSHAKE_NANOS = sitelink.wireguard.Constants.REKEY_TIMEOUT_NANOS;

    /**
     * A WireGuard handshake message from the address of a configured peer's endpoint, arriving while the handshake
     * thread sleeps with both queues empty, is handled on the UDP reader itself: the hand-off would cost a thread
     * wake-up (0.1-1 ms measured on these machines) on each side of a handshake, on the path of the packet waiting for
     * it. At most one such message per this interval, so that even a peer's spoofed address cannot make the UDP
     * reader do public-key work more than 50 times a second (under 1 % of its time); everything else is queued.
     */
    static final long INLINE_HANDSHAKE_INTERVAL_NANOS = 20_000_000L;

    /** A handshake-class datagram, the socket it came in on (its slot: see {@link #slotTunnel}) and when it was queued. */
    private record HandshakeMessage(int slot, InetSocketAddress source, java.net.InetAddress local, byte[] message,
                                    long queuedAt) {
    }

    private final String name;
    /** Packets per TUN read and datagrams per recvmmsg/sendmmsg: {@link #BATCH}, fewer for the warm-up's devices. */
    private final int batch;
    private final TunIo tun;
    private final UdpIo.Opener sockets;
    private final Clock clock;
    /** The first tunnel protocol, WireGuard's, which every device has: tunnel 0. */
    private final Tunnel tunnel;
    /**
     * Every tunnel by index ({@link Remote#tunnel()}): WireGuard's first, then those added ({@link #addTunnel}:
     * IKEv2/ESP, at start or by a reload). Their sockets are numbered in slots: slot 0 is WireGuard's listen port ({@link #bind}), the others the added
     * tunnels' fixed ports, each read by a thread of its own.
     */
    private volatile Tunnel[] tunnels;
    private volatile UdpIo[] slots = new UdpIo[1];
    /** Per slot: its tunnel's index and the socket's index in that tunnel's list. */
    private volatile int[] slotTunnel = {0}, slotSocket = {0};
    /** Per tunnel: its sockets' slots, by socket index. */
    private volatile int[][] tunnelSlots = {{0}};
    /** The same protocol's configuration side (keys, peers, endpoints: UAPI's words). */
    private final WireGuardCore core;
    /** Cryptokey routing: prefix → remote site, outbound by destination, inbound as the source check. */
    private final AllowedIps<Remote> allowedIps = new AllowedIps<>();
    private final DeviceCounters counters = new DeviceCounters();
    /** The JIT compiler threads' priority by the data path's load; null unless {@link #lowerCompilersWhenQuiet}. */
    private volatile CompilerPriority compilerPriority;
    /** The peers of the configuration: added, changed and removed in the core and the routing table. */
    private final PeerSettings peers;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ArrayBlockingQueue<HandshakeMessage> handshakes = new ArrayBlockingQueue<>(HANDSHAKE_QUEUE);
    private final ArrayBlockingQueue<HandshakeMessage> peerHandshakes = new ArrayBlockingQueue<>(PEER_HANDSHAKE_QUEUE);
    /**
     * The handshake thread parks when both queues are empty; the UDP reader unparks it once per receive batch that
     * queued something, not once per message (a wake-up per message would cost the reader a futex call each).
     */
    private volatile Thread handshakeThread;
    private volatile Thread timerThread;
    private volatile boolean handshakeThreadIdle;
    /** Set by the UDP reader when its current batch queued a handshake message. */
    private boolean handshakeQueued;
    /** Held while a tunnel handles a handshake message: the handshake thread's, or one the UDP reader takes itself. */
    private final ReentrantLock handshaking = new ReentrantLock();
    /** When the UDP reader may next handle a handshake message itself ({@link #INLINE_HANDSHAKE_INTERVAL_NANOS}). */
    private long nextInlineHandshake;
    /** How many handshake messages the UDP reader handled itself (a test's view). */
    private volatile long inlineHandshakes;
    /** The UDP reader's answers to the handshake messages it handles itself. */
    private static final ThreadLocal<Results> INLINE_ANSWERS = ThreadLocal.withInitial(() -> new Results(UdpSocket.MAX_DATAGRAM));
    private final List<Thread> threads = new ArrayList<>();
    private volatile UdpIo bind;
    /**
     * Threads other than the TUN reader (UDP reader, handshakes, timers, UAPI) send their few datagrams one at a time.
     * A device thread's is in its loop's confined arena ({@link #runPrepared}), as the data path's batches are, so that
     * sendmmsg sees one kind of memory session: a batch of another kind (an automatic arena's) made the JIT's code of
     * {@code UdpSocket.send}, compiled for the data path's batches, deoptimize at every handshake message sent.
     * Other threads (UAPI) get one the collector frees.
     */
    private static final ThreadLocal<UdpSocket.Batch> SINGLE = ThreadLocal.withInitial(() -> new UdpSocket.Batch(1));
    private volatile boolean running = true;
    private volatile int fwmark;
    private volatile Map<Key, Integer> outerDscp = Map.of();
    private volatile PacketFilter filter = PacketFilter.NONE;
    private volatile ControlChannel control = ControlChannel.NONE;
    private final PacketFilter.LanWriter lanWriter = this::writeToLan;
    private volatile Diagnostic.Listener diagnostics = Diagnostic.Listener.NONE;
    private volatile String siteName = "";
    /** False for the start-up warm-up's devices ({@link PipelineWarmUp}): no "up"/"down" lines in the gateway's log. */
    private volatile boolean announce = true;
    private volatile java.util.Map<Key, String> peerNames = java.util.Map.of();

    public Device(String name, TunIo tun, Clock clock) throws IOException {
        this(name, tun, UdpIo.Opener.KERNEL, Environment.of(clock, new SecureRandom()));
    }

    /** A device on any TUN and sockets (tests wire two in memory), with the time and randomness its core uses. */
    public Device(String name, TunIo tun, UdpIo.Opener sockets, Environment env) throws IOException {
        this(name, tun, sockets, env, BATCH);
    }

    /** With batches of {@code batch} (the warm-up's devices: the same code on a fraction of the memory). */
    Device(String name, TunIo tun, UdpIo.Opener sockets, Environment env, int batch) throws IOException {
        this.name = name;
        this.batch = batch;
        this.tun = tun;
        this.sockets = sockets;
        this.clock = env.clock();
        this.core = new WireGuardCore(env);
        this.tunnel = new WireGuardTunnel(core);
        this.tunnels = new Tunnel[] {tunnel};
        this.peers = new PeerSettings(core, allowedIps, counters, r -> transmitNow(r, 0));
        this.bind = openBind(0, 0);
        core.setDropListener(this::coreDropped);
    }

    /** With TUN offloads, the socket takes UDP GSO/GRO too: both ends of the pipeline then move 64 KiB at a time. */
    private UdpIo openBind(int port, int mark) throws IOException {
        UdpIo s = sockets.open(port, mark);
        if (tun.hasVnetHeader() && !s.enableOffloads()) {
            LOG.log(Level.INFO, "{0}: the kernel refused UDP GRO; UDP offloads stay off", name);
        }
        return s;
    }

    /** The index the next {@link #addTunnel} gets (what its remote sites' {@link Remote#tunnel()} must say). */
    public synchronized int nextTunnelIndex() {
        return tunnels.length;
    }

    /**
     * Adds a tunnel protocol beside WireGuard, with its sockets on fixed UDP ports (IKE: 500 and 4500, in the order its
     * socket indices name them): before {@link #start}, or while the device runs (a reload that adds the first IKEv2
     * site), when each new socket gets its reader at once and the TUN reader takes the new sockets on with the first
     * packet routed to the tunnel. Route its sites ({@link #route}) after this returns. A port that cannot be opened
     * fails the whole call, and the sockets opened before it are closed again: nothing is left half-added.
     */
    public synchronized void addTunnel(Tunnel t, int... ports) throws IOException {
        if (!running) {
            throw new IllegalStateException("the device is closed");
        }
        List<UdpIo> opened = new ArrayList<>();
        try {
            for (int port : ports) {
                opened.add(openBind(port, fwmark));
            }
        } catch (IOException e) {
            opened.forEach(UdpIo::close);
            throw new IOException("cannot listen on UDP port " + ports[opened.size()] + ": " + e.getMessage(), e);
        }
        int index = tunnels.length, first = slots.length;
        UdpIo[] s = java.util.Arrays.copyOf(slots, first + ports.length);
        int[] st = java.util.Arrays.copyOf(slotTunnel, s.length), ss = java.util.Arrays.copyOf(slotSocket, s.length);
        int[] mine = new int[ports.length];
        for (int i = 0; i < ports.length; i++) {
            s[first + i] = opened.get(i);
            st[first + i] = index;
            ss[first + i] = i;
            mine[i] = first + i;
        }
        int[][] ts = java.util.Arrays.copyOf(tunnelSlots, index + 1);
        ts[index] = mine;
        slots = s;
        slotTunnel = st;
        slotSocket = ss;
        tunnelSlots = ts;
        Tunnel[] all = java.util.Arrays.copyOf(tunnels, index + 1);
        all[index] = t;
        tunnels = all; // last: whoever sees the tunnel sees its slots
        if (!threads.isEmpty()) { // running: the new sockets' readers now, the other threads find the tunnel themselves
            for (int slot = first; slot < s.length; slot++) {
                startUdpReader(slot);
            }
        }
    }

    private void startUdpReader(int slot) {
        String suffix = slot == 0 ? "" : Integer.toString(slots[slot].port());
        threads.add(Thread.ofPlatform().name(name + "-udp" + suffix).daemon().start(() -> runPrepared(arena -> udpLoop(slot, arena))));
    }

    /** Routes {@code prefixes} to {@code site}, a remote site of an added tunnel (WireGuard's peers route through UAPI). */
    public void route(Remote site, List<sitelink.route.Prefix> prefixes) {
        prefixes.forEach(p -> allowedIps.insert(p, site));
    }

    /** Takes every route to {@code site} away (a remote site of an added tunnel that a reload removed or replaced). */
    public void unroute(Remote site) {
        allowedIps.removeAll(site);
    }

    /**
     * Runs a change to an added tunnel from outside the data path (a reload) and sends at once what it produced, for
     * example the Deletes of the IKE SAs of the IKEv2 sites a reload removed.
     */
    public void control(int tunnelIndex, java.util.function.Consumer<Results> change) {
        Results r = new Results(0);
        change.accept(r);
        transmitNow(r, tunnelIndex);
    }

    /**
     * What each of the device's threads makes first, before its first packet: its own JDK cipher and key agreement
     * (one per thread: a provider look-up and a first initialization each, about half a millisecond apiece measured
     * inside a gateway's first handshake) and its one-datagram batch.
     */
    private static void prepareThread(Arena arena) {
        sitelink.crypto.ChaChaPoly.prepareThread();
        sitelink.crypto.X25519.prepareThread();
        SINGLE.set(new UdpSocket.Batch(1, arena));
    }

    /**
     * For the start's warm-up, once a round: a thread that starts as a device thread does ({@link #prepareThread}) and
     * ends at once, waited for. A new thread's first look-ups and first seal take branches that no later call takes (a
     * thread-local value not there yet, a cipher with no previous key); code the JIT compiled from a profile without
     * them trapped when each of a new gateway's threads started and was thrown away, so that its first packets were
     * sealed and opened in the interpreter.
     */
    static void startAndEndThread() throws InterruptedException {
        Thread t = Thread.ofPlatform().name("warm-thread").start(() -> runPrepared(arena -> { }));
        t.join();
    }

    /**
     * Runs a device thread's LOOP after {@link #prepareThread} with a confined arena for its native buffers, freed when
     * the loop ends rather than when the collector finds them: a device closed after a while (the start's warm-up
     * devices) has its objects in the old generation, which may never be collected.
     */
    private static void runPrepared(java.util.function.Consumer<Arena> loop) {
        try (Arena arena = Arena.ofConfined()) {
            prepareThread(arena);
            try {
                loop.accept(arena);
            } finally {
                SINGLE.remove();
            }
        }
    }

    /** Starts the data-path and timer threads. */
    public synchronized void start() {
        threads.add(Thread.ofPlatform().name(name + "-tun").daemon().start(() -> runPrepared(this::tunLoop)));
        for (int slot = 0; slot < slots.length; slot++) {
            startUdpReader(slot);
        }
        Thread h = Thread.ofPlatform().name(name + "-handshakes").daemon().unstarted(() -> runPrepared(arena -> handshakeLoop()));
        handshakeThread = h;
        threads.add(h);
        h.start();
        Thread timers = Thread.ofPlatform().name(name + "-timers").daemon().unstarted(() -> runPrepared(arena -> timerLoop()));
        timerThread = timers;
        threads.add(timers);
        timers.start();
        if (announce) {
            LOG.log(Level.INFO, "Interface {0} up, listening on UDP port {1,number,#}", name, bind.port());
        }
    }

    /** Leaves this device's start and stop out of the log: a device no one configured or sees (the warm-up's). */
    void quiet() {
        announce = false;
        peers.announce = false;
    }

    /** Blocks until the device stopped (closed, or its interface was deleted). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    public String name() {
        return name;
    }

    // ---------------------------------------------------------------- data path
    // out: TUN batch → parse → route → filter → seal → UDP batch;
    // in:  UDP batch → classify → open → source check → filter → coalesce → TUN batch.
    // Each thread owns its Results and batches: the tunnel answers into them, the device carries the answers out.

    /**
     * TUN → route → filter → seal → UDP, a batch at a time: one wakeup and one sendmmsg per batch of packets the
     * kernel had queued. Packets are read into an off-heap slab and copied once into a heap array for the cipher.
     */
    private void tunLoop(Arena arena) {
        int stride = MAX_PACKET + 1 + VirtioNet.HEADER_LENGTH;
        MemorySegment slab = arena.allocate((long) batch * stride);
        int[] lens = new int[batch];
        byte[] packet = new byte[stride];
        byte[] segment = new byte[MAX_PACKET];
        Outbound out = new Outbound(arena);
        VirtioNet.Sink sink = (buf, off, len) -> outbound(buf, off, len, out);
        boolean offload = tun.hasVnetHeader();
        try {
            while (running) {
                int count = tun.read(slab, stride, lens, batch);
                for (int i = 0; i < count; i++) {
                    int n = lens[i];
                    MemorySegment.copy(slab, ValueLayout.JAVA_BYTE, (long) i * stride, packet, 0, n);
                    if (!offload) {
                        outbound(packet, 0, n, out);
                    } else if (VirtioNet.segment(packet, n, segment, sink) < 0) {
                        count(Drop.INVALID_PACKET);
                    }
                }
                UdpSocket.Batch[] tx = out.tx;
                int datagrams = 0;
                for (int slot = 0; slot < tx.length; slot++) {
                    if (tx[slot].count() > 0) {
                        datagrams += tx[slot].count();
                        send(tx[slot], slot);
                    }
                }
                carried(datagrams);
            }
        } catch (IOException | RuntimeException e) {
            if (running) {
                LOG.log(Level.INFO, "Interface {0} is gone ({1}); shutting down", name, e.getMessage());
            }
        } finally {
            close();
        }
    }

    /**
     * The TUN reader's sending side: its results buffer and a datagram batch per socket slot, in the loop's arena.
     * A tunnel added while the device runs ({@link #addTunnel}) brings sockets of its own: the first packet routed to
     * one of its sites makes the reader grow these ({@link #refresh}) before sealing.
     */
    private final class Outbound {
        private final Arena arena;
        Results sealed;
        /** The datagrams of a TUN batch go out together, one sendmmsg per batch and socket. */
        UdpSocket.Batch[] tx = new UdpSocket.Batch[0];
        /** How many tunnels the buffers were made for. */
        int tunnelCount;
        private int overhead = -1;

        Outbound(Arena arena) {
            this.arena = arena;
            refresh();
        }

        void refresh() {
            Tunnel[] all = tunnels; // read first: the slots of a tunnel are published before it
            int most = 0;
            for (Tunnel t : all) {
                most = Math.max(most, t.overhead());
            }
            if (most > overhead) {
                overhead = most;
                sealed = new Results(MAX_PACKET + most);
            }
            int n = slots.length;
            if (tx.length < n) {
                UdpSocket.Batch[] grown = java.util.Arrays.copyOf(tx, n);
                for (int i = tx.length; i < n; i++) {
                    grown[i] = new UdpSocket.Batch(batch, arena);
                }
                tx = grown;
            }
            tunnelCount = all.length;
        }
    }

    /** One packet from the LAN: parse, route, filter, seal; its datagrams join the TUN reader's batch. */
    private void outbound(byte[] packet, int off, int n, Outbound out) {
        if (n <= 0) {
            return;
        }
        // parse
        int version = IpHeader.version(packet, off, n);
        if (version == IpHeader.INVALID) {
            count(Drop.INVALID_PACKET);
            return;
        }
        ControlChannel c = control;
        if (c != ControlChannel.NONE && c.imitates(packet, off, n)) {
            count(Drop.POST_QUANTUM_IMITATION);
            return;
        }
        // route: the remote site whose subnets hold the destination (cryptokey routing)
        Remote site = allowedIps.lookup(packet, off + IpHeader.destinationOffset(version), IpHeader.addressLength(version));
        if (site == null) {
            count(Drop.NO_ROUTE);
            return;
        }
        if (c != ControlChannel.NONE && c.holds(site.id())) {
            counters.drop(Drop.POST_QUANTUM_CLOSED, site);
            return;
        }
        // filter: path MTU, site policy, MSS clamp
        if (!filter.toTunnel(site.id(), packet, off, n, lanWriter)) {
            // Charged to the site the packet was for, so that status shows outbound denials too. No diagnostic:
            // its sentence is about packets from the peer; the policy logs the 5-tuple itself.
            counters.drop(Drop.FILTERED, site);
            return;
        }
        // seal (or stage behind a handshake), then into the UDP batch
        counters.txPackets.increment();
        int t = site.tunnel();
        if (t >= out.tunnelCount) {
            out.refresh(); // a tunnel added since the reader started
        }
        Results sealed = out.sealed;
        sealed.clear().outerTos(OuterTos.encapsulate(outerDscp(site), packet, off, n));
        tunnels[t].seal(site, packet, off, n, sealed);
        transmit(sealed, t, out.tx);
    }

    /**
     * Queues the datagrams tunnel {@code t} put in {@code r} in the batches of their sockets' slots, sending a batch
     * whenever it fills; the TUN reader sends what is left at the end of its batch.
     */
    private void transmit(Results r, int t, UdpSocket.Batch[] batches) {
        int[] mine = tunnelSlots[t];
        for (int i = 0; i < r.sends(); i++) {
            int slot = mine[r.sendSocket(i)];
            UdpSocket.Batch batch = batches[slot];
            batch.add(r.sendTo(i), r.sendFrom(i), r.sendTos(i), r.sendBuffer(i), r.sendOffset(i), r.sendLength(i));
            if (batch.isFull()) {
                send(batch, slot);
            }
        }
    }

    /** Sends the datagrams of {@code r} one at a time, by the time this returns: threads other than the TUN reader. */
    private void transmitNow(Results r, int t) {
        UdpSocket.Batch one = SINGLE.get();
        int[] mine = tunnelSlots[t];
        for (int i = 0; i < r.sends(); i++) {
            one.add(r.sendTo(i), r.sendFrom(i), r.sendTos(i), r.sendBuffer(i), r.sendOffset(i), r.sendLength(i));
            send(one, mine[r.sendSocket(i)]);
        }
    }

    private void send(UdpSocket.Batch batch, int slot) {
        int total = batch.count();
        int sent = (slot == 0 ? bind : slots[slot]).send(batch);
        counters.txDatagrams.add(sent);
        if (sent < total) {
            counters.drops(Drop.SEND_FAILED, total - sent);
        }
        if (!batch.vanishedSources().isEmpty()) { // a local address was removed: peers stuck to it let go
            batch.vanishedSources().forEach(tunnels[slotTunnel[slot]]::forgetLocalSource);
        }
    }

    /** UDP → classify → open → source check → filter → TUN, a recvmmsg batch at a time, on the socket of {@code slot}. */
    private void udpLoop(int slot, Arena arena) {
        if (slotTunnel[slot] == 0) {
            INLINE_ANSWERS.get(); // made now, not on the first peer handshake this reader handles itself
        }
        udpLoop(slot, new UdpSocket.Batch(batch, arena));
    }

    private void udpLoop(int slot, UdpSocket.Batch rx) {
        // With TUN offloads, decrypted TCP segments of a batch reach the TUN merged (GRO).
        TcpCoalescer coalescer = tun.hasVnetHeader() ? new TcpCoalescer(tun) : null;
        byte[] buf = new byte[UdpSocket.MAX_DATAGRAM];
        Results opened = new Results(UdpSocket.MAX_DATAGRAM);
        Tunnel t = tunnels[slotTunnel[slot]];
        int socket = slotSocket[slot];
        while (running) {
            UdpIo b = slot == 0 ? bind : slots[slot];
            try {
                int count = b.receive(rx);
                if (count < 0) {
                    // the bind was replaced (listen port changed) or the device is closing: loop re-reads the field
                    if ((slot != 0 || b == bind) && running) {
                        LockSupport.parkNanos(1_000_000L);
                    }
                    continue;
                }
                int datagrams = count;
                for (int i = 0; i < count; i++) {
                    int total = rx.length(i);
                    int size = rx.segmentSize(i);
                    if (size <= 0 || size >= total) {
                        counters.rxDatagrams.increment();
                        int len = rx.copyOut(i, buf);
                        inbound(t, slot, socket, rx.source(i), rx.local(i), rx.receivedTos(i), buf, len, opened, coalescer);
                        continue;
                    }
                    for (int from = 0; from < total; from += size) { // UDP_GRO joined several datagrams
                        int len = Math.min(size, total - from);
                        rx.copyOut(i, from, len, buf);
                        counters.rxDatagrams.increment();
                        inbound(t, slot, socket, rx.source(i), rx.local(i), rx.receivedTos(i), buf, len, opened, coalescer);
                    }
                    datagrams += (total - 1) / size; // UDP_GRO joined that many more
                }
                carried(datagrams);
                if (handshakeQueued) {
                    handshakeQueued = false;
                    if (handshakeThreadIdle) {
                        LockSupport.unpark(handshakeThread);
                    }
                }
                if (coalescer != null) {
                    coalescer.flush();
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "UDP receive failed on {0}: {1}", name, e.toString());
                LockSupport.parkNanos(1_000_000L);
            }
        }
    }

    /** Data is opened here, on the UDP reader; handshake messages go to the handshake thread, or are dropped when it is behind. */
    private void inbound(Tunnel tunnel, int slot, int socket, InetSocketAddress source, java.net.InetAddress local,
                         int outerTos, byte[] buf, int len, Results opened, TcpCoalescer coalescer) {
        // classify: data is opened here; handshake-class messages wait for the handshake thread
        if (!tunnel.isHandshake(socket, buf, len)) {
            // open, then source check, filter and coalesce per packet; a confirmed session may also send
            tunnel.open(socket, source, local, buf, len, opened.clear());
            deliver(opened, outerTos, coalescer);
            if (opened.sends() > 0) { // rare on this thread: what a confirmed session releases, a last-minute rekey
                transmitNow(opened, slotTunnel[slot]);
            }
            return;
        }
        boolean fromPeer = tunnel.isRemoteEndpoint(source.getAddress());
        if (fromPeer && slotTunnel[slot] == 0 && handshakeHere(tunnel, socket, source, local, buf, len)) {
            return;
        }
        ArrayBlockingQueue<HandshakeMessage> q = fromPeer ? peerHandshakes : handshakes;
        if (q.remainingCapacity() > 0 && q.offer(new HandshakeMessage(slot, source, local, java.util.Arrays.copyOf(buf, len),
                clock.nanoTime()))) {
            handshakeQueued = true;
        } else {
            count(Drop.HANDSHAKE_QUEUE_FULL);
        }
    }

    /**
     * Handles a WireGuard handshake message on the UDP reader when the handshake thread is idle, both queues are empty
     * and the last one handled here is {@link #INLINE_HANDSHAKE_INTERVAL_NANOS} ago; false (queue it) otherwise.
     */
    private boolean handshakeHere(Tunnel tunnel, int socket, InetSocketAddress source, java.net.InetAddress local,
                                  byte[] buf, int len) {
        long now = clock.nanoTime();
        if (!handshakeThreadIdle || now - nextInlineHandshake < 0 || !peerHandshakes.isEmpty() || !handshakes.isEmpty()
                || !handshaking.tryLock()) {
            return false;
        }
        Results answers = INLINE_ANSWERS.get().clear();
        try {
            nextInlineHandshake = now + INLINE_HANDSHAKE_INTERVAL_NANOS;
            inlineHandshakes++; // under the lock
            tunnel.handshake(socket, source, local, java.util.Arrays.copyOf(buf, len), len, answers);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "handshake processing failed on {0}: {1}", name, e.toString());
            return true;
        } finally {
            handshaking.unlock();
        }
        deliver(answers, 0, null);
        transmitNow(answers, 0);
        return true;
    }

    /** Test view: the handshake messages the UDP reader handled itself, and whether the handshake thread sleeps. */
    long inlineHandshakes() {
        return inlineHandshakes;
    }

    boolean handshakeThreadIdle() {
        return handshakeThreadIdle;
    }

    /** The packets of {@code r} towards the LAN, merged by {@code coalescer} (the UDP reader's, with offloads) or one by one. */
    private void deliver(Results r, int outerTos, TcpCoalescer coalescer) {
        for (int i = 0; i < r.delivers(); i++) {
            deliverPacket(r.deliverFrom(i), r.deliverBuffer(i), r.deliverOffset(i), r.deliverLength(i), outerTos,
                    coalescer);
        }
    }

    /**
     * One opened packet towards the LAN: source check (cryptokey routing on the way in: its source must be in the
     * sending site's subnets), filter, then coalesce or write.
     */
    private void deliverPacket(Remote site, byte[] buf, int off, int len, int outerTos, TcpCoalescer coalescer) {
        int total = IpHeader.totalLength(buf, off, len);
        if (total == IpHeader.INVALID) {
            count(Drop.INVALID_PACKET);
            return;
        }
        ControlChannel c = control;
        if (c != ControlChannel.NONE) { // the gateways' own exchange, then the hold it may put on the site
            if (c.receive(site, buf, off, total)) {
                return;
            }
            if (c.holds(site.id())) {
                counters.drop(Drop.POST_QUANTUM_CLOSED, site);
                return;
            }
        }
        // RFC 6040: congestion marked on the WAN (outer CE) reaches the inner packet, or drops one that cannot carry it
        if ((outerTos & 3) != 0 && OuterTos.decapsulate(outerTos, buf, off, total) == OuterTos.DROP) {
            count(Drop.INVALID_PACKET);
            return;
        }
        int version = IpHeader.version(buf, off, len);
        if (allowedIps.lookup(buf, off + IpHeader.sourceOffset(version), IpHeader.addressLength(version)) != site) {
            peerDropped(site, Drop.SOURCE_NOT_ALLOWED, buf, off + IpHeader.sourceOffset(version),
                    IpHeader.addressLength(version));
            return;
        }
        if (!filter.fromTunnel(site.id(), buf, off, total)) {
            peerDropped(site, Drop.FILTERED, buf, off + IpHeader.sourceOffset(version),
                    IpHeader.addressLength(version));
            return;
        }
        try {
            if (coalescer != null) {
                coalescer.add(buf, off, total);
            } else {
                tun.write(buf, off, total);
            }
            counters.rxPackets.increment();
        } catch (IOException e) {
            count(Drop.SEND_FAILED);
        }
    }

    private void writeToLan(byte[] buf, int off, int len) {
        try {
            tun.write(buf, off, len);
        } catch (IOException e) {
            count(Drop.SEND_FAILED);
        }
    }

    /** Handshakes, cookies and their public-key work, one message at a time, off the data path. */
    private void handshakeLoop() {
        HandshakePriority priority = new HandshakePriority(sitelink.os.ffm.Libc::setCurrentThreadNice,
                HANDSHAKE_THREAD_NICE, clock.nanoTime());
        Results answers = new Results(UdpSocket.MAX_DATAGRAM);
        boolean busy = false;
        while (running) {
            try {
                HandshakeMessage m = peerHandshakes.poll();
                if (m == null) {
                    m = handshakes.poll();
                }
                if (m == null && busy) {
                    // Just drained the queues: more is likely on its way (a flood). A millisecond's nap, which the UDP
                    // reader does not cut short, takes them in batches: at most a thousand wake-ups a second instead
                    // of one per receive batch, for at most a millisecond more on a peer's handshake.
                    busy = false;
                    LockSupport.parkNanos(HANDSHAKE_BATCH_NANOS);
                    continue;
                }
                if (m == null) {
                    priority.idle(clock.nanoTime());
                    int refused = priority.takeRefusal();
                    if (refused != 0) {
                        LOG.log(Level.INFO, "{0}: the handshake thread stays at nice {1} after the load ({2}: no "
                                + "CAP_SYS_NICE and no LimitNICE=+0)", name, HANDSHAKE_THREAD_NICE,
                                sitelink.os.ffm.Libc.errnoName(refused));
                    }
                    handshakeThreadIdle = true;
                    if (peerHandshakes.isEmpty() && handshakes.isEmpty()) { // re-checked after the flag: no lost wake-up
                        // Woken by the UDP reader when a message comes; the timeout only lets a thread lowered by
                        // a flood go back to nice 0 in time (an idle gateway's thread wakes once a second).
                        LockSupport.parkNanos(priority.lowered() ? MAX_TIMER_SLEEP_NANOS : HANDSHAKE_IDLE_NANOS);
                    }
                    continue; // idle until it takes a message (a wake-up for nothing leaves it so)
                }
                handshakeThreadIdle = false;
                busy = true;
                int t = slotTunnel[m.slot()];
                if (t == 0 && clock.nanoTime() - m.queuedAt() > STALE_HANDSHAKE_NANOS) {
                    count(Drop.HANDSHAKE_QUEUE_FULL); // behind by more than a retry: dropped unread, as if the queue had been full
                    continue;
                }
                long start = clock.nanoTime();
                if (handshakes.size() >= HANDSHAKE_QUEUE / 8) {
                    tunnels[t].handshakeBacklog();
                    priority.backlog(start);
                }
                handshaking.lock();
                try {
                    tunnels[t].handshake(slotSocket[m.slot()], m.source(), m.local(), m.message(), m.message().length,
                            answers.clear());
                } finally {
                    handshaking.unlock();
                }
                deliver(answers, 0, null);
                transmitNow(answers, t);
                long end = clock.nanoTime();
                priority.worked(end - start, end);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "handshake processing failed on {0}: {1}", name, e.toString());
            }
        }
    }

    /**
     * A data-path thread's batch carried {@code datagrams}: a burst while the JIT's compilers are lowered wakes the
     * timer thread to put them back now, at a transfer's first window rather than up to 100 ms into it.
     */
    private void carried(int datagrams) {
        CompilerPriority jit = compilerPriority;
        if (jit != null && jit.burst(datagrams)) {
            LockSupport.unpark(timerThread);
        }
    }

    private void timerLoop() {
        Results fired = new Results(0);
        boolean jitLowered = false; // as logged
        while (running) {
            long next = Long.MAX_VALUE;
            Tunnel[] all = tunnels;
            for (int t = 0; t < all.length; t++) {
                long n = all[t].tick(fired.clear());
                transmitNow(fired, t);
                if (next == Long.MAX_VALUE || n != Long.MAX_VALUE && n - next < 0) {
                    next = n;
                }
            }
            CompilerPriority jit = compilerPriority;
            if (jit != null) {
                jit.observe(counters.rxDatagrams.sum() + counters.txDatagrams.sum(), clock.nanoTime());
                if (jit.lowered() != jitLowered) {
                    jitLowered = !jitLowered;
                    LOG.log(Level.DEBUG, "{0}: JIT compiler threads {1} ({2})", name,
                            jitLowered ? "at SCHED_IDLE" : "back to the normal policy", jit.why());
                }
                int refused = jit.takeRefusal();
                if (refused != 0) {
                    LOG.log(Level.WARNING, "{0}: the JIT compiler threads'' scheduling policy could not be changed (errno "
                            + "{1}); they keep the one they have, {2}", name, Integer.toString(refused), jit.lowered()
                            ? "SCHED_IDLE (the first seconds of a transfer may be slower)" : "the normal one");
                }
            }
            long sleep = Math.min(MAX_TIMER_SLEEP_NANOS, Math.max(1_000_000L, next - clock.nanoTime()));
            LockSupport.parkNanos(sleep);
        }
    }

    /**
     * Lowers the JVM's JIT compiler threads to SCHED_IDLE while this device's data path is quiet and puts them back at
     * once when it carries a transfer ({@link CompilerPriority}): for the gateway's own device, one per process, not the
     * start's warm-up devices; called once the warm-up is done. Nothing changes if this process could not put them
     * back (no CAP_SYS_NICE or RLIMIT_NICE).
     */
    public void lowerCompilersWhenQuiet() {
        if ("off".equals(System.getProperty("sitelink.compilerPriority"))) { // for A/B measurements
            return;
        }
        long now = clock.nanoTime();
        CompilerPriority jit = CompilerPriority.forThisJvm(now).orElse(null);
        if (jit != null) {
            jit.lowerNow();
        }
        compilerPriority = jit;
        LOG.log(Level.DEBUG, compilerPriority != null
                ? "{0}: JIT compiler threads at SCHED_IDLE while the data path is quiet"
                : "{0}: JIT compiler threads keep their priority (no right to put it back, or no compiler threads)", name);
    }

    /** Installs the filter between routing and the tunnel (policy, MSS clamp, path MTU); {@link PacketFilter#NONE} removes it. */
    public void setPacketFilter(PacketFilter f) {
        filter = f;
    }

    /** Installs the channel between this gateway and its peers' gateways (docs/post-quantum.md); NONE removes it. */
    public void setControlChannel(ControlChannel c) {
        control = c;
    }

    /** Seals {@code packet} (a control channel's own) for the WireGuard peer {@code site} and sends it now, past the filter. */
    public void sendControl(Key site, byte[] packet) {
        core.peer(site).ifPresent(p -> {
            Results r = new Results(packet.length + tunnel.overhead());
            tunnel.seal(p, packet, 0, packet.length, r);
            transmitNow(r, 0);
        });
    }

    /** A WireGuard peer's preshared key, and a second one its responses may use meanwhile ({@link Key#zero()}: none). */
    public void setPresharedKeys(Key site, Key primary, Key alternate) {
        core.peer(site).ifPresent(p -> core.setPresharedKeys(p, primary, alternate));
    }

    /** When the WireGuard peer {@code site} last completed a handshake. */
    public Optional<java.time.Instant> lastHandshake(Key site) {
        return core.peer(site).flatMap(Peer::lastHandshake);
    }

    /** Starts a new WireGuard handshake with {@code site} now, so that a new preshared key takes effect. */
    public void rehandshake(Key site) {
        core.peer(site).ifPresent(p -> {
            Results r = new Results(0);
            core.initiateHandshake(p, r);
            transmitNow(r, 0);
        });
    }

    /**
     * The outer DSCP per remote site, by {@link Remote#id()}: {@link OuterTos#COPY} (the inner packet's, the default
     * for a site not named) or a fixed DSCP 0..63. The ECN bits are copied outward in every case (RFC 6040).
     */
    public void setOuterDscp(Map<Key, Integer> bySite) {
        outerDscp = Map.copyOf(bySite);
    }

    private int outerDscp(Remote site) {
        Map<Key, Integer> m = outerDscp;
        return m.isEmpty() ? OuterTos.COPY : m.getOrDefault(site.id(), OuterTos.COPY);
    }

    private void count(Drop d) {
        counters.drop(d);
    }

    // ---------------------------------------------------------------- diagnostics (failure paths only)

    /** Where diagnostics go (the rate-limited log of sitelink.control); {@link Diagnostic.Listener#NONE} stops them. */
    public void setDiagnosticListener(Diagnostic.Listener l) {
        diagnostics = l;
    }

    /** Names for status: the site this device serves and each peer's remote-site name. */
    public void setNames(String site, java.util.Map<Key, String> peers) {
        siteName = site;
        peerNames = java.util.Map.copyOf(peers);
    }

    private void coreDropped(DropEvent e) {
        diagnostics.diagnose(new Diagnostic(e.reason(),
                e.peer().map(Peer::publicKey), Optional.of(e.source()), Optional.empty(), e.claimedKey()));
    }

    private void peerDropped(Remote site, Drop d, byte[] buf, int addrOff, int addrLen) {
        counters.drop(d, site);
        Optional<java.net.InetAddress> inner;
        try {
            inner = Optional.of(java.net.InetAddress.getByAddress(java.util.Arrays.copyOfRange(buf, addrOff, addrOff + addrLen)));
        } catch (java.net.UnknownHostException e) {
            inner = Optional.empty();
        }
        diagnostics.diagnose(new Diagnostic(d, Optional.of(site.id()),
                site.endpoint(), inner, Optional.empty()));
    }

    // ---------------------------------------------------------------- control

    @Override
    public synchronized void apply(DeviceUpdate u) throws DeviceException {
        UdpIo newBind = null;
        int newMark = u.fwmark().orElse(fwmark);
        if (u.listenPort().isPresent() && u.listenPort().getAsInt() != bind.port()) {
            try {
                newBind = openBind(u.listenPort().getAsInt(), newMark);
            } catch (IOException e) {
                throw new DeviceException(-EADDRINUSE, "cannot listen on UDP port " + u.listenPort().getAsInt()
                        + ": " + e.getMessage());
            }
        }
        // Nothing below can fail: the update is applied whole.
        u.privateKey().ifPresent(core::setPrivateKey);
        if (newBind != null) {
            UdpIo old = bind;
            bind = newBind;
            old.close();
            LOG.log(Level.INFO, "{0}: UDP bind has been updated to port {1,number,#}", name, newBind.port());
        }
        if (newMark != fwmark) {
            try {
                bind.setMark(newMark);
            } catch (IOException e) {
                // wireguard-go fails the set; we keep the rest of the update whole and say so
                LOG.log(Level.WARNING, "{0}: {1}", name, e.getMessage());
            }
            fwmark = newMark;
        }
        peers.apply(u);
    }

    @Override
    public DeviceSnapshot snapshot() {
        return DeviceReport.snapshot(core, allowedIps, bind.port(), fwmark);
    }

    @Override
    public DeviceStatus status() {
        return DeviceReport.status(name, siteName, peerNames, core, tunnels, allowedIps, counters, bind.port(), clock.now(),
                control);
    }

    /**
     * The handshake starts as for any packet without a session, but the packet staged behind it is an empty one, a
     * keepalive: it crosses no filter, reaches no host and counts as no data, on either side.
     */
    @Override
    public void initiateHandshake(Key publicKey) throws DeviceException {
        Peer p = core.peer(publicKey).orElseThrow(() -> new DeviceException(-2, "no such peer")); // ENOENT
        if (p.endpoint().isEmpty()) {
            throw new DeviceException(-89, "the peer has no endpoint yet"); // EDESTADDRREQ
        }
        Results keepalive = new Results(tunnel.overhead());
        tunnel.seal(p, new byte[0], 0, 0, keepalive);
        transmitNow(keepalive, 0);
    }

    @Override
    public SortedMap<String, Long> counters() {
        return counters.byName(tunnels);
    }

    /** The drops of one kind, as {@link #counters()} counts them, without making the map of them all. */
    long drops(Drop d) {
        return counters.drops(d, tunnels);
    }

    /** Stops the threads, closes the socket and the TUN, and zeroes every key. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        CompilerPriority jit = compilerPriority;
        if (jit != null) {
            jit.restore();
        }
        Results goodbyes = new Results(0);
        for (int t = 1; t < tunnels.length; t++) { // IKE: Delete the SAs, so that the peers know at once
            try {
                tunnels[t].shutdown(goodbyes.clear());
                transmitNow(goodbyes, t);
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "closing tunnel {0}: {1}", t, e.toString());
            }
        }
        bind.close();
        for (int slot = 1; slot < slots.length; slot++) {
            slots[slot].close();
        }
        try {
            tun.close();
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "closing the TUN: {0}", e.toString());
        }
        for (Peer p : core.peers()) {
            core.removePeer(p.publicKey()); // sessions end, keys zeroed
        }
        core.setPrivateKey(Key.zero());
        for (Thread t : threads) {
            if (t != Thread.currentThread()) {
                LockSupport.unpark(t);
            }
        }
        if (announce) {
            LOG.log(Level.INFO, "Interface {0} down", name);
        }
        stopped.countDown();
    }
}
