package sitelink.ipsec;

import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import sitelink.esp.EspCipher;
import sitelink.esp.EspDrop;
import sitelink.esp.EspSa;
import sitelink.ike.Ike;
import sitelink.ike.IkeAction;
import sitelink.ike.IkeConfig;
import sitelink.ike.IkeMessage;
import sitelink.ike.IkeSession;
import sitelink.ike.TrafficSelector;
import sitelink.ike.ChildSa;
import sitelink.ike.Payload;
import sitelink.packet.IpHeader;
import sitelink.tunnel.Drop;
import sitelink.tunnel.Environment;
import sitelink.tunnel.Remote;
import sitelink.tunnel.Results;
import sitelink.tunnel.Tunnel;

/**
 * IKEv2 with ESP in UDP (RFC 7296, 4303, 3948) as a {@link Tunnel} of the device: socket {@link #IKE_SOCKET} is UDP 500
 * (IKE only), socket {@link #NAT_T_SOCKET} is UDP 4500 (IKE behind the non-ESP marker, ESP, NAT keepalives). Each
 * remote site is an {@link IpsecSite} with its {@link IkeSession}s (the sans-IO engine); this class carries their
 * actions out (datagrams into the caller's {@link Results}, CHILD SAs into ESP SAs) and seals and opens ESP.
 *
 * <p>Two IKE SAs with one site happen when both ends initiate at once, or when the peer restarted while we still hold
 * the old SA. Both are kept (as charon does by default): outgoing packets use the newest CHILD SA, incoming ones
 * open under any installed SA. Of two established IKE SAs the one with the lower initiator SPI is deleted by the side
 * that initiated it, so two gateways settle on the same one; an SA whose peer restarted fails its next liveness check.
 */
public final class IpsecTunnel implements Tunnel {
    private static final System.Logger LOG = System.getLogger("sitelink.ipsec");
    /** The tunnel's sockets: UDP 500 and UDP 4500, in this order. */
    public static final int IKE_SOCKET = 0, NAT_T_SOCKET = 1;
    public static final int[] PORTS = {Ike.IKE_PORT, Ike.NAT_T_PORT};
    /** After a loss a site that initiates tries again after 2 s, doubling up to a minute. */
    static final long FIRST_RETRY_NANOS = 2_000_000_000L, MAX_RETRY_NANOS = 60_000_000_000L;
    /** Sessions the peer started that are not established yet, per site: more replace the oldest (half-open bound). */
    static final int MAX_HALF_OPEN = 2;
    /**
     * A CHILD SA we answered a rekey with carries outgoing packets once the peer deleted the old one
     * ({@link IkeAction.ChildSaReady}), or after this if the peer never does.
     */
    static final long OUTBOUND_DEFER_NANOS = 5_000_000_000L;
    /**
     * Behind a NAT, a 1-byte NAT keepalive (RFC 3948 section 2.3) goes to the peer's 4500 after this long without ESP
     * to it, so the NAT keeps the mapping: strongSwan's default {@code keep_alive}.
     */
    static final long NAT_KEEPALIVE_NANOS = 20_000_000_000L, NAT_KEEPALIVE_CHECK_NANOS = 5_000_000_000L;
    private static final byte[] NAT_KEEPALIVE = {(byte) 0xff};

    private final Environment env;
    /** RFC 7296 section 2.6: IKE_SA_INIT requests under load must bring a cookie. */
    private IkeCookies cookies;
    private final int tunnelIndex;
    /** The sites, replaced whole by a reload ({@link #update}); readers take the array as it is when they start. */
    private volatile IpsecSite[] sites;
    private final Function<InetAddress, InetAddress> sourceFor;
    /** Every installed inbound ESP SA and its site, for the UDP reader; replaced whole on each change. */
    private volatile Inbound[] inbound = new Inbound[0];
    private final Object inboundLock = new Object();
    private final LongAdder[] drops = new LongAdder[Drop.values().length];

    private record Inbound(int spi, EspSa sa, IpsecSite site, Selectors selectors) {
    }

    /**
     * @param tunnelIndex the tunnel's index in its device (what each site's {@link Remote#tunnel()} says)
     * @param sourceFor   the local address the kernel sends from towards a peer address (our IKE address)
     */
    public IpsecTunnel(List<IpsecSite.Settings> settings, int tunnelIndex, Environment env,
                       Function<InetAddress, InetAddress> sourceFor) {
        this.env = env;
        this.cookies = new IkeCookies(env.clock(), env.random());
        this.sourceFor = sourceFor;
        this.tunnelIndex = tunnelIndex;
        this.sites = settings.stream().map(this::newSite).toArray(IpsecSite[]::new);
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
    }

    /** A site as it starts: one whose endpoint name did not resolve is DOWN with that as its last failure. */
    private IpsecSite newSite(IpsecSite.Settings s) {
        IpsecSite site = new IpsecSite(s, tunnelIndex);
        s.unresolved().ifPresent(why -> {
            site.lastFailure = java.util.Optional.of(why);
            site.lastFailureAt = java.util.Optional.of(env.clock().now());
        });
        return site;
    }

    /** The tunnel's index in its device. */
    public int index() {
        return tunnelIndex;
    }

    public List<IpsecSite> sites() {
        return List.of(sites);
    }

    /** Each site's state for status. */
    public List<IpsecSiteStatus> status() {
        long nanos = env.clock().nanoTime();
        Instant now = env.clock().now();
        List<IpsecSiteStatus> out = new ArrayList<>();
        for (IpsecSite s : sites) {
            out.add(s.status(nanos, now));
        }
        return out;
    }

    // ---------------------------------------------------------------- data path

    /** On 500 every datagram is IKE; on 4500 those behind the non-ESP marker (four zero bytes). */
    @Override
    public boolean isHandshake(int socket, byte[] datagram, int len) {
        return socket == IKE_SOCKET
                || len >= 4 && datagram[0] == 0 && datagram[1] == 0 && datagram[2] == 0 && datagram[3] == 0;
    }

    @Override
    public boolean isRemoteEndpoint(InetAddress address) {
        for (IpsecSite s : sites) {
            if (s.peer.map(p -> p.getAddress().equals(address)).orElse(false)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void seal(Remote to, byte[] packet, int off, int len, Results out) {
        IpsecSite site = (IpsecSite) to;
        IpsecSite.Outgoing[] os = site.outbound;
        if (os == null) {
            site.trafficWaiting = true;
            count(Drop.NO_CHILD_SA);
            out.drop(Drop.NO_CHILD_SA);
            return;
        }
        IpsecSite.Outgoing o = null;
        for (IpsecSite.Outgoing x : os) {
            if (x.selectors().outbound(packet, off, len)) {
                o = x;
                break;
            }
        }
        if (o == null) {
            drop(Drop.OUTSIDE_SELECTORS, out);
            return;
        }
        EspSa sa = o.sa();
        int nextHeader = IpHeader.version(packet, off, len) == 6 ? EspSa.NEXT_HEADER_IPV6 : EspSa.NEXT_HEADER_IPV4;
        byte[] buf = out.buffer();
        int n = sa.seal(packet, off, len, nextHeader, buf, 0);
        if (sa.needsRekey()) {
            site.sequenceLow = sa;
        }
        if (n < 0) { // the sequence numbers ran out before the rekey finished
            count(Drop.NO_CHILD_SA);
            out.drop(Drop.NO_CHILD_SA);
            return;
        }
        site.txPackets.increment();
        site.txBytes.add(len);
        out.sendSealed(NAT_T_SOCKET, site.espDestination, null, buf, 0, n);
    }

    /** ESP on 4500 (a NAT keepalive is ignored): opened under its SA by SPI, the packet delivered as the site's. */
    @Override
    public void open(int socket, InetSocketAddress source, InetAddress local, byte[] datagram, int len, Results out) {
        if (len == 1 && datagram[0] == (byte) 0xff) {
            return; // RFC 3948 section 2.3: a NAT keepalive
        }
        if (socket != NAT_T_SOCKET || len < EspSa.HEADER_LENGTH) {
            drop(Drop.INVALID_MESSAGE, out);
            return;
        }
        int spi = EspSa.spiOf(datagram, 0);
        Inbound in = null;
        for (Inbound i : inbound) {
            if (i.spi == spi) {
                in = i;
                break;
            }
        }
        if (in == null) {
            drop(Drop.UNKNOWN_SPI, out);
            return;
        }
        byte[] buf = out.buffer();
        int n = in.sa.open(datagram, 0, len, buf, 0);
        if (n < 0) {
            drop(switch (EspDrop.of(n)) {
                case REPLAYED -> Drop.REPLAY;
                case AUTH_FAILED -> Drop.DECRYPT_FAILED;
                case UNKNOWN_SPI -> Drop.UNKNOWN_SPI;
                default -> Drop.INVALID_MESSAGE;
            }, out);
            return;
        }
        IpsecSite site = in.site;
        site.heard = true;
        if (!in.selectors.inbound(buf, 0, n)) {
            drop(Drop.OUTSIDE_SELECTORS, out); // authentic, but not what the CHILD SA was agreed for
            return;
        }
        site.rxPackets.increment();
        site.rxBytes.add(n);
        if (!source.equals(site.espDestination) && source.getPort() != 0) {
            site.espDestination = source; // RFC 3948: follow a NAT rebinding once the packet authenticated
        }
        out.deliver(site, buf, 0, n);
    }

    private void drop(Drop d, Results out) {
        count(d);
        out.drop(d);
    }

    private void count(Drop d) {
        drops[d.ordinal()].increment();
    }

    // ---------------------------------------------------------------- IKE

    /** An IKE message: to the session it belongs to (by SPIs), or a new responder session for an IKE_SA_INIT request. */
    @Override
    public void handshake(int socket, InetSocketAddress source, InetAddress local, byte[] datagram, int len, Results out) {
        int at = socket == NAT_T_SOCKET ? 4 : 0;
        if (len < at + Ike.HEADER_LENGTH) {
            drop(Drop.INVALID_IKE_MESSAGE, out);
            return;
        }
        long spiI = longAt(datagram, at), spiR = longAt(datagram, at + 8);
        int exchange = datagram[at + 18] & 0xff, flags = datagram[at + 19] & 0xff;
        boolean newSa = exchange == Ike.IKE_SA_INIT && (flags & Ike.FLAG_RESPONSE) == 0 && spiR == 0;
        IpsecSite site = siteFor(source.getAddress(), spiI, spiR, newSa);
        if (site == null) {
            drop(Drop.UNKNOWN_PEER, out);
            LOG.log(Level.DEBUG, "IKE message from {0}, which is no IKEv2 site''s endpoint: dropped", source);
            return;
        }
        int port = PORTS[socket];
        IkeSession moving = null;
        List<IkeAction> movingActions = null;
        synchronized (site) {
            if (site.retired) { // a reload removed it while this message was on its way
                drop(Drop.UNKNOWN_PEER, out);
                return;
            }
            for (IkeSession s : site.sessions) {
                if (s.owns(spiI, spiR)) {
                    List<IkeAction> actions = s.receive(source, port, datagram, 0, len);
                    if (!s.takeIdentityChoice()) {
                        apply(site, s, actions, out);
                        return;
                    }
                    // the initiator's ID named another site without an endpoint: the session is that site's from now on
                    site.sessions.remove(s);
                    if (site.sessions.stream().noneMatch(x -> x.state() == IkeSession.State.ESTABLISHED)) {
                        site.peer = java.util.Optional.empty(); // it was that initiator's address, not this site's peer
                    }
                    moving = s;
                    movingActions = actions;
                    break;
                }
            }
        }
        if (moving != null) {
            IpsecSite to = answeringSiteFor(moving.config().remoteId()).orElse(null);
            if (to == null) { // a reload removed it meanwhile
                drop(Drop.UNKNOWN_PEER, out);
                return;
            }
            synchronized (to) {
                if (to.retired) {
                    drop(Drop.UNKNOWN_PEER, out);
                    return;
                }
                to.sessions.add(moving);
                to.peer = java.util.Optional.of(new InetSocketAddress(source.getAddress(), Ike.IKE_PORT));
                apply(to, moving, movingActions, out);
            }
            return;
        }
        synchronized (site) {
            if (site.retired) {
                drop(Drop.UNKNOWN_PEER, out);
                return;
            }
            if (!newSa) {
                drop(Drop.INVALID_IKE_MESSAGE, out);
                return;
            }
            if (cookies.required() && !cookieOk(source, socket, at, datagram, len, spiI, out)) {
                return;
            }
            // sites without an endpoint share the first one's half-open sessions until IKE_AUTH names the site
            List<IpsecSite> answering = site.settings.endpoint().isEmpty() ? answeringSites() : List.of(site);
            List<IkeSession> halfOpen = site.sessions.stream().filter(s -> s.state() == IkeSession.State.INIT_ANSWERED
                    || s.state() == IkeSession.State.IDLE).toList();
            if (halfOpen.size() >= MAX_HALF_OPEN * Math.max(1, answering.size())) {
                site.sessions.remove(halfOpen.get(0));
            }
            InetAddress ours = local != null ? local : sourceFor.apply(source.getAddress());
            InetSocketAddress us = new InetSocketAddress(ours, Ike.IKE_PORT), peer = new InetSocketAddress(source.getAddress(), Ike.IKE_PORT);
            IkeSession s = new IkeSession(site.settings.config().apply(us, peer), env.clock(), env.random());
            if (answering.size() > 1) {
                s.chooseByIdentity(new IkeSession.IdentityChoice() {
                    @Override
                    public java.util.Optional<IkeConfig> configFor(sitelink.ike.IkeId id) {
                        return answeringSiteFor(id).map(o -> o.settings.config().apply(us, peer));
                    }

                    @Override
                    public String expected() {
                        return answeringSites().stream().map(o -> o.name() + ": " + o.settings.config().apply(us, peer).remoteId())
                                .collect(java.util.stream.Collectors.joining(", "));
                    }
                });
            }
            site.sessions.add(s);
            if (answering.size() == 1 || site.sessions.stream().noneMatch(x -> x.state() == IkeSession.State.ESTABLISHED)) {
                site.peer = java.util.Optional.of(peer); // with several answering sites, until IKE_AUTH says whose it is
            }
            apply(site, s, s.receive(source, port, datagram, 0, len), out);
        }
    }

    /**
     * A CHILD SA whose selectors are narrower than the site's subnets carries only part of what is routed to the site:
     * the rest is dropped as {@code outside_selectors}. Said once per narrowing (a rekey under the same selectors
     * says nothing), as a warning with the fix.
     */
    private static void warnIfNarrowed(IpsecSite site, IkeSession s, ChildSa child) {
        List<TrafficSelector> local = s.config().localSelectors(), remote = s.config().remoteSelectors();
        boolean narrowed = !new java.util.HashSet<>(child.localSelectors()).equals(new java.util.HashSet<>(local))
                || !new java.util.HashSet<>(child.remoteSelectors()).equals(new java.util.HashSet<>(remote));
        String now = narrowed ? child.localSelectors() + " === " + child.remoteSelectors() : "";
        if (narrowed && wholePairs(child, local, remote)) {
            // a CHILD SA per subnet pair (a policy-based peer): the other pairs get theirs (askForLeftOutPairs)
            LOG.log(Level.INFO, "{0}: the CHILD SA carries {1}, whole subnet pairs of this site''s {2} === {3}: the peer "
                    + "makes one per pair", site.name(), now, local, remote);
        } else if (narrowed && !now.equals(site.narrowedWarned)) {
            LOG.log(Level.WARNING, "{0}: the CHILD SA carries only {1}, narrower than this site''s {2} === {3}; packets "
                    + "outside it are dropped (outside_selectors): make the peer''s selectors mirror this site''s "
                    + "local_subnets and remote_subnets, or narrow them here to what the peer allows", site.name(), now,
                    local, remote);
        }
        site.narrowedWarned = now;
    }

    /** Whether each of the site's (local, remote) selector pairs that {@code child} touches, it carries whole. */
    private static boolean wholePairs(ChildSa child, List<TrafficSelector> local, List<TrafficSelector> remote) {
        for (TrafficSelector l : local) {
            for (TrafficSelector r : remote) {
                boolean touched = !TrafficSelector.narrow(List.of(l), child.localSelectors()).isEmpty()
                        && !TrafficSelector.narrow(List.of(r), child.remoteSelectors()).isEmpty();
                if (touched && !(TrafficSelector.allWithin(List.of(l), child.localSelectors())
                        && TrafficSelector.allWithin(List.of(r), child.remoteSelectors()))) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Under load (see {@link IkeCookies}): whether the IKE_SA_INIT request brings a valid cookie; if not, it is answered
     * with N(COOKIE) alone, from the port it came to, and counted as {@code cookie_required}; nothing is kept.
     */
    private boolean cookieOk(InetSocketAddress source, int socket, int at, byte[] datagram, int len, long spiI, Results out) {
        if (!(IkeMessage.decode(datagram, at, len - at) instanceof IkeMessage.Decoded.Ok ok)) {
            drop(Drop.INVALID_IKE_MESSAGE, out);
            return false;
        }
        Optional<Payload.Nonce> nonce = ok.message().first(Payload.Nonce.class);
        if (nonce.isEmpty()) {
            drop(Drop.INVALID_IKE_MESSAGE, out);
            return false;
        }
        Optional<Payload.Notify> cookie = ok.message().notify(Ike.COOKIE);
        if (cookie.isPresent() && cookies.valid(cookie.get().data(), nonce.get().data(), source.getAddress(), spiI)) {
            return true;
        }
        byte[] message = new IkeMessage(spiI, 0, Ike.IKE_SA_INIT, Ike.FLAG_RESPONSE, 0, List.of(Payload.Notify.of(Ike.COOKIE,
                cookies.make(nonce.get().data(), source.getAddress(), spiI)))).encode();
        byte[] answer = new byte[at + message.length]; // on 4500 the non-ESP marker (four zero bytes) first
        System.arraycopy(message, 0, answer, at, message.length);
        out.send(socket, source, null, answer, 0, answer.length);
        drop(Drop.COOKIE_REQUIRED, out);
        return false;
    }

    /**
     * The site an IKE message is for: the one whose endpoint is its source address; else a site without an endpoint
     * that holds a session with its SPIs, or for a new IKE SA the first site without an endpoint.
     */
    private IpsecSite siteFor(InetAddress source, long spiI, long spiR, boolean newSa) {
        IpsecSite open = null;
        for (IpsecSite s : sites) {
            if (s.settings.endpoint().isPresent()) {
                if (s.settings.endpoint().get().getAddress().equals(source)) {
                    return s;
                }
                continue;
            }
            if (s.settings.unresolved().isPresent()) {
                continue; // its peer is at an address its name will give: not anyone's
            }
            synchronized (s) {
                for (IkeSession x : s.sessions) {
                    if (x.owns(spiI, spiR)) {
                        return s;
                    }
                }
            }
            if (open == null) {
                open = s;
            }
        }
        return newSa ? open : null;
    }

    /**
     * The sites that answer anyone, not knowing the peer's address (no endpoint, and not one whose name did not
     * resolve), in the file's order: the first answers IKE_SA_INIT for them all.
     */
    private List<IpsecSite> answeringSites() {
        List<IpsecSite> out = new ArrayList<>();
        for (IpsecSite s : sites) {
            if (s.settings.endpoint().isEmpty() && s.settings.unresolved().isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /** The site without an endpoint whose remote ID is {@code id}: the site file gives each its own when there are several. */
    private java.util.Optional<IpsecSite> answeringSiteFor(sitelink.ike.IkeId id) {
        for (IpsecSite s : answeringSites()) {
            if (s.remoteId().sameAs(id)) {
                return java.util.Optional.of(s);
            }
        }
        return java.util.Optional.empty();
    }

    /** Carries out what a session said, under the site's lock. */
    private void apply(IpsecSite site, IkeSession s, List<IkeAction> actions, Results out) {
        boolean changed = false, established = false, installedAny = false;
        for (IkeAction a : actions) {
            switch (a) {
                case IkeAction.Send x -> out.send(x.localPort() == Ike.NAT_T_PORT ? NAT_T_SOCKET : IKE_SOCKET, x.to(), null,
                        x.datagram(), 0, x.datagram().length);
                case IkeAction.Established e -> {
                    site.established = true;
                    if (site.settings.endpoint().isEmpty()) { // the peer of a site that answers anyone: who came up
                        site.peer = java.util.Optional.of(new InetSocketAddress(s.config().remote().getAddress(), Ike.IKE_PORT));
                    }
                    site.ikeProposal = java.util.Optional.of(e.proposal());
                    site.keyExchange = java.util.Optional.of(e.keyExchange());
                    site.spiI = e.spiI();
                    site.spiR = e.spiR();
                    site.natTraversal = e.natTraversal();
                    site.behindNat = s.behindNat();
                    site.establishedAt = java.util.Optional.of(env.clock().now());
                    if (e.peerCertificateExpires().isPresent()) {
                        site.peerCertificateExpires = e.peerCertificateExpires();
                    }
                    site.retryDelayNanos = FIRST_RETRY_NANOS;
                    LOG.log(Level.INFO, "{0}: IKE SA established with {1} ({2}, {3}, SPIs {4}_i {5}_r)", site.name(),
                            site.peer.map(Object::toString).orElse("?"), e.proposal(), e.keyExchange(), hex(e.spiI()), hex(e.spiR()));
                    if (e.initialContact()) {
                        changed |= forgetReplaced(site, s);
                    }
                    settleDuplicates(site, s, out);
                    established = true;
                }
                case IkeAction.IkeSaRekeyed r -> {
                    site.spiI = r.spiI();
                    site.spiR = r.spiR();
                    site.ikeProposal = java.util.Optional.of(r.proposal());
                    site.keyExchange = java.util.Optional.of(r.keyExchange());
                    LOG.log(Level.INFO, "{0}: IKE SA rekeyed ({1}, SPIs {2}_i {3}_r)", site.name(), r.proposal(),
                            hex(r.spiI()), hex(r.spiR()));
                }
                case IkeAction.ChildSaInstalled c -> {
                    EspSa sa = new EspSa(EspCipher.of(c.child().encr().id(), c.child().integ()), c.child().inboundSpi(),
                            c.child().outboundSpi(), c.child().inboundKeymat(), c.child().outboundKeymat(), env.random());
                    java.util.Arrays.fill(c.child().inboundKeymat(), (byte) 0);
                    java.util.Arrays.fill(c.child().outboundKeymat(), (byte) 0);
                    site.installed.add(new IpsecSite.Installed(s, sa, c.child(), env.clock().now(), switch (c.outbound()) {
                        case NOW -> IpsecSite.OUTBOUND_NOW;
                        case WHEN_PEER_READY -> env.clock().nanoTime() + OUTBOUND_DEFER_NANOS;
                        case NEVER -> IpsecSite.OUTBOUND_NEVER;
                    }));
                    site.espDestination = c.child().remote();
                    changed = true;
                    installedAny = true;
                    LOG.log(Level.INFO, "{0}: {1} installed", site.name(), c.child());
                    warnIfNarrowed(site, s, c.child());
                }
                case IkeAction.ChildSaReady r -> {
                    // only this one: after a rekey collision another new SA may not be in place at the peer yet
                    for (int k = 0; k < site.installed.size(); k++) {
                        IpsecSite.Installed i = site.installed.get(k);
                        if (i.owner() == s && i.child().inboundSpi() == r.inboundSpi() && i.outboundFrom() != IpsecSite.OUTBOUND_NOW) {
                            site.installed.set(k, i.outboundNow());
                            changed = true;
                        }
                    }
                }
                case IkeAction.ChildSaDeleted d -> {
                    changed |= site.installed.removeIf(i -> i.owner() == s && i.child().inboundSpi() == d.inboundSpi());
                    LOG.log(Level.INFO, "{0}: CHILD SA {1} deleted", site.name(), String.format("%08x_i", d.inboundSpi()));
                }
                case IkeAction.Failed f -> {
                    String who = site.name();
                    if (s.siteUnknown()) { // before the peer's ID named one of the sites without an endpoint: none of theirs
                        who = "IKE peer " + s.config().remote().getAddress().getHostAddress() + " (for one of the sites "
                                + "without an endpoint: " + answeringSites().stream().map(IpsecSite::name)
                                .collect(java.util.stream.Collectors.joining(", ")) + ")";
                    } else {
                        site.lastFailure = java.util.Optional.of(f.reason() + ": " + f.detail());
                        site.lastFailureAt = java.util.Optional.of(env.clock().now());
                    }
                    LOG.log(Level.WARNING, "{0}: {1}: {2}: {3}; {4}", who, IkeAdvice.phase(f.reason()), f.reason(),
                            f.detail(), IkeAdvice.remedy(f.reason(), site.settings.certificates().isPresent()));
                }
                case IkeAction.Closed c -> LOG.log(Level.INFO, "{0}: IKE SA closed ({1})", site.name(), c.why());
                case IkeAction.Dropped d -> {
                    count(Drop.INVALID_IKE_MESSAGE);
                    LOG.log(Level.DEBUG, "{0}: IKE message dropped: {1}", site.name(), d.reason());
                }
            }
        }
        if (installedAny && s.weInitiated() && s.state() == IkeSession.State.ESTABLISHED) {
            askForLeftOutPairs(site, s);
        }
        if (s.childRequestReady()) { // a further CHILD SA asked for: its request now (one at a time)
            apply(site, s, s.tick(), out);
        }
        if (established && site.settings.certificates().isPresent()) {
            // its IKE_AUTH may have used the CRLs from before a re-read the timer already checked the others against
            deleteIfRevoked(site, s, site.settings.certificates().get(), out);
        }
        IkeSession.State st = s.state();
        if (st == IkeSession.State.IDLE && !s.weInitiated()) {
            site.sessions.remove(s); // a responder that answered with an error notify keeps no state (section 1.2)
        } else if (st == IkeSession.State.FAILED || st == IkeSession.State.CLOSED && s.nextWake().isEmpty()) {
            changed |= end(site, s);
        }
        if (changed) {
            republish(site);
        }
    }

    /**
     * The peer said INITIAL_CONTACT in the IKE SA {@code fresh}: it restarted and holds no other IKE SA with us, so
     * the established ones we still have with it are dead. They go at once with their CHILD SAs, without a Delete
     * (the peer would not know their SPIs), instead of at their next liveness check (RFC 7296 section 2.4). Half-open
     * ones are left to finish or time out: an initiation of ours that crossed the peer's is no restart.
     */
    private boolean forgetReplaced(IpsecSite site, IkeSession fresh) {
        boolean changed = false;
        for (IkeSession other : List.copyOf(site.sessions)) {
            if (other != fresh && other.state() == IkeSession.State.ESTABLISHED) {
                LOG.log(Level.INFO, "{0}: the peer restarted (INITIAL_CONTACT): its old IKE SA (SPI {1}_i) and CHILD SAs "
                        + "are dropped without a Delete", site.name(), hex(other.initiatorSpi()));
                changed |= end(site, other);
            }
        }
        return changed;
    }

    /**
     * Of two established IKE SAs with one site, the one with the lower initiator SPI goes, deleted by whoever
     * initiated it: both gateways see the same two SPIs, so they agree without a message.
     */
    private void settleDuplicates(IpsecSite site, IkeSession fresh, Results out) {
        for (IkeSession other : List.copyOf(site.sessions)) {
            if (other == fresh || other.state() != IkeSession.State.ESTABLISHED) {
                continue;
            }
            IkeSession loser = Long.compareUnsigned(other.initiatorSpi(), fresh.initiatorSpi()) < 0 ? other : fresh;
            if (loser.weInitiated()) {
                LOG.log(Level.INFO, "{0}: two IKE SAs with the peer; deleting ours with the lower SPI {1}", site.name(),
                        hex(loser.initiatorSpi()));
                apply(site, loser, loser.delete(), out);
            }
        }
    }

    /**
     * A peer that narrowed the CHILD SA we asked for with all of the site's subnets to some of them (a policy-based
     * gateway makes one per pair of subnets) is asked, once per IKE SA, for a CHILD SA of its own for each pair of a
     * local and a remote selector of one address family that no CHILD SA of this IKE SA touches. Pairs narrowed only in part are not asked
     * again (the warning on the install names them).
     */
    private void askForLeftOutPairs(IpsecSite site, IkeSession s) {
        java.util.Set<String> asked = site.askedPairs.computeIfAbsent(s, x -> new java.util.HashSet<>());
        for (TrafficSelector l : s.config().localSelectors()) {
            for (TrafficSelector r : s.config().remoteSelectors()) {
                if (l.isIpv4() != r.isIpv4()) {
                    continue; // no packet goes from one family to the other
                }
                String pair = l + " === " + r;
                boolean touched = site.installed.stream().anyMatch(i -> i.owner() == s
                        && !TrafficSelector.narrow(List.of(l), i.child().localSelectors()).isEmpty()
                        && !TrafficSelector.narrow(List.of(r), i.child().remoteSelectors()).isEmpty());
                if (!touched && asked.add(pair)) {
                    LOG.log(Level.INFO, "{0}: asking the peer for a CHILD SA for {1}, which the CHILD SAs it agreed to "
                            + "leave out", site.name(), pair);
                    s.requestChildSa(List.of(l), List.of(r));
                }
            }
        }
    }

    /** The session is over: its CHILD SAs go, and a site that initiates tries again after a while. */
    private boolean end(IpsecSite site, IkeSession s) {
        site.askedPairs.remove(s);
        site.sessions.remove(s);
        boolean changed = site.installed.removeIf(i -> i.owner() == s);
        if (site.sessions.stream().noneMatch(x -> x.state() == IkeSession.State.ESTABLISHED)) {
            if (site.established) {
                LOG.log(Level.WARNING, "{0}: down: no IKE SA with {1}{2}", site.name(), site.peer.map(Object::toString).orElse("?"),
                        site.settings.initiateAtStart() && !site.retired ? "; trying again in " + site.retryDelayNanos / 1_000_000_000L + " s" : "");
            }
            site.established = false;
            site.ikeProposal = java.util.Optional.empty();
            site.keyExchange = java.util.Optional.empty();
            site.spiI = 0;
            site.spiR = 0;
            site.retryAt = env.clock().nanoTime() + site.retryDelayNanos;
            site.retryDelayNanos = Math.min(MAX_RETRY_NANOS, site.retryDelayNanos * 2);
        }
        return changed;
    }

    /**
     * After CHILD SAs came or went: the newest that may carry outgoing packets is outbound (if none may yet, the newest
     * waiting for the peer, never a redundant one), and the UDP reader's table is made anew.
     */
    /**
     * Publishes the site's CHILD SAs to the data path: all of them for the UDP reader, and for the TUN reader the one
     * outgoing packets use per set of selectors (the newest free to carry them, else the newest waiting to; a rekey
     * keeps its predecessor's selectors, so it takes its place), the set made most recently first.
     */
    private void republish(IpsecSite site) {
        java.util.Map<String, IpsecSite.Installed[]> bySelectors = new java.util.LinkedHashMap<>(); // [now, waiting]
        for (IpsecSite.Installed i : site.installed) {
            if (i.outboundFrom() == IpsecSite.OUTBOUND_NEVER) {
                continue;
            }
            String key = i.child().localSelectors() + " === " + i.child().remoteSelectors();
            IpsecSite.Installed[] best = bySelectors.remove(key); // re-inserted: the set's newest SA orders it
            best = best == null ? new IpsecSite.Installed[2] : best;
            best[i.outboundFrom() == IpsecSite.OUTBOUND_NOW ? 0 : 1] = i;
            bySelectors.put(key, best);
        }
        List<IpsecSite.Outgoing> outgoing = new ArrayList<>(), waiting = new ArrayList<>();
        for (IpsecSite.Installed[] best : bySelectors.values()) {
            // a set whose only SA still waits for the peer comes after those free to carry (selectors a rekey changed)
            (best[0] != null ? outgoing : waiting).addFirst(new IpsecSite.Outgoing((best[0] != null ? best[0] : best[1]).sa(),
                    (best[0] != null ? best[0] : best[1]).selectors()));
        }
        outgoing.addAll(waiting);
        site.outbound = outgoing.isEmpty() ? null : outgoing.toArray(IpsecSite.Outgoing[]::new);
        site.published = List.copyOf(site.installed);
        publishInbound();
    }

    /** The UDP reader's table of inbound SAs, made anew from every site's published list. */
    private void publishInbound() {
        synchronized (inboundLock) { // each site's list is read without its lock: no lock order between sites
            List<Inbound> all = new ArrayList<>();
            for (IpsecSite s : sites) {
                for (IpsecSite.Installed i : s.published) {
                    all.add(new Inbound(i.child().inboundSpi(), i.sa(), s, i.selectors()));
                }
            }
            inbound = all.toArray(Inbound[]::new);
        }
    }

    /**
     * A reload: the sites named in {@code removed} end (each IKE SA deleted, the Deletes in {@code out}, their keys
     * forgotten) and the {@code added} ones join as at start (one that initiates at start does so at the next tick).
     * A site whose settings changed is in both lists: its IKE SA ends and a new one is made with the new settings.
     * The sites in neither list are not touched: their IKE and CHILD SAs carry on. Returns the added sites in the
     * order given, for the device to route their subnets to; the caller has unrouted the removed ones.
     */
    public synchronized List<IpsecSite> update(Collection<String> removed, List<IpsecSite.Settings> added, Results out) {
        List<IpsecSite> kept = new ArrayList<>();
        for (IpsecSite site : sites) {
            if (!removed.contains(site.name())) {
                kept.add(site);
                continue;
            }
            boolean replaced = added.stream().anyMatch(a -> a.name().equals(site.name()));
            boolean deleted = false;
            synchronized (site) {
                site.retired = true;
                for (IkeSession s : List.copyOf(site.sessions)) {
                    if (s.state() == IkeSession.State.ESTABLISHED) {
                        apply(site, s, s.delete(), out);
                        deleted = true;
                    }
                }
                site.sessions.clear();
                site.askedPairs.clear();
                site.installed.clear();
                site.outbound = null;
                site.published = List.of();
                site.established = false;
            }
            LOG.log(Level.INFO, "{0}: {1}{2}", site.name(), replaced ? "replaced by one with new settings" : "removed",
                    deleted ? "; its IKE SA was deleted (the peer was told)" : "");
        }
        List<IpsecSite> fresh = new ArrayList<>();
        for (IpsecSite.Settings s : added) {
            if (kept.stream().anyMatch(k -> k.name().equals(s.name()))) {
                throw new IllegalArgumentException("IKEv2 site " + s.name() + " is already there");
            }
            fresh.add(newSite(s));
        }
        kept.addAll(fresh);
        sites = kept.toArray(IpsecSite[]::new);
        publishInbound();
        return List.copyOf(fresh);
    }

    @Override
    public long tick(Results out) {
        long now = env.clock().nanoTime();
        long next = Long.MAX_VALUE;
        for (IpsecSite site : sites) {
            SiteCertificates certificates = site.settings.certificates().orElse(null);
            if (certificates != null) { // CRL files re-read when they changed
                next = earlier(next, certificates.poll(now));
            }
            synchronized (site) {
                if (site.retired) { // removed by a reload since this tick took the array
                    continue;
                }
                if (certificates != null && certificates.generation() != site.crlGeneration) {
                    site.crlGeneration = certificates.generation();
                    deleteRevoked(site, certificates, out);
                }
                if (site.heard) {
                    site.heard = false;
                    site.sessions.forEach(IkeSession::noteInboundTraffic);
                }
                boolean undeferred = false;
                for (int k = 0; k < site.installed.size(); k++) {
                    IpsecSite.Installed i = site.installed.get(k);
                    if (i.outboundFrom() != IpsecSite.OUTBOUND_NOW && i.outboundFrom() != IpsecSite.OUTBOUND_NEVER) {
                        if (now - i.outboundFrom() >= 0) { // the peer never deleted the old CHILD SA: the new one carries now
                            site.installed.set(k, i.outboundNow());
                            undeferred = true;
                        } else {
                            next = earlier(next, i.outboundFrom());
                        }
                    }
                }
                if (undeferred) {
                    republish(site);
                }
                next = earlier(next, natKeepalive(site, now, out));
                EspSa low = site.sequenceLow;
                if (low != null) {
                    site.sequenceLow = null;
                    for (IpsecSite.Installed i : List.copyOf(site.installed)) {
                        if (i.sa() == low) {
                            apply(site, i.owner(), i.owner().rekeyChildSa(low.inboundSpi()), out);
                        }
                    }
                }
                boolean wanted = site.settings.initiateAtStart() || site.settings.initiateOnTraffic() && site.trafficWaiting;
                if (site.sessions.isEmpty() && wanted && site.settings.endpoint().isPresent()) {
                    if (now - site.retryAt >= 0) {
                        site.trafficWaiting = false;
                        initiate(site, out);
                    } else {
                        next = earlier(next, site.retryAt);
                    }
                }
                for (IkeSession s : List.copyOf(site.sessions)) {
                    java.util.Optional<Long> wake = s.nextWake();
                    if (wake.isPresent() && now - wake.get() >= 0) {
                        apply(site, s, s.tick(), out);
                    }
                }
                for (IkeSession s : site.sessions) {
                    java.util.Optional<Long> wake = s.nextWake();
                    if (wake.isPresent()) {
                        next = earlier(next, wake.get());
                    }
                }
            }
        }
        return next;
    }

    /**
     * Sends a NAT keepalive to the site when this gateway is behind a NAT (RFC 3948 section 2.3: the NATed side keeps
     * the mapping open) and no ESP went to it for {@link #NAT_KEEPALIVE_NANOS};
     * returns when to look again. Whether ESP went is read from the site's packet counter every
     * {@link #NAT_KEEPALIVE_CHECK_NANOS}, so the data path pays nothing for it.
     */
    private static long natKeepalive(IpsecSite site, long now, Results out) {
        InetSocketAddress to = site.espDestination;
        if (!site.established || !site.behindNat || to == null) {
            site.espSeenNanos = now;
            return Long.MAX_VALUE;
        }
        long sent = site.txPackets.sum();
        if (sent != site.espSeenCount) {
            site.espSeenCount = sent;
            site.espSeenNanos = now;
        } else if (now - site.espSeenNanos >= NAT_KEEPALIVE_NANOS) {
            out.send(NAT_T_SOCKET, to, null, NAT_KEEPALIVE, 0, 1);
            site.natKeepalives++;
            site.espSeenNanos = now;
        }
        return now + NAT_KEEPALIVE_CHECK_NANOS;
    }

    /**
     * The site's CRLs were read anew: each established IKE SA whose peer's certificate they now revoke is deleted.
     */
    private void deleteRevoked(IpsecSite site, SiteCertificates certificates, Results out) {
        for (IkeSession s : List.copyOf(site.sessions)) {
            deleteIfRevoked(site, s, certificates, out);
        }
    }

    /**
     * Deletes the IKE SA {@code s} (its CHILD SAs at once) if the site's CRLs as last read revoke the certificate its
     * peer authenticated with, with a log line naming the certificate, its serial and the CRL; status and diagnose
     * show it as the site's last failure. A site that initiates then tries again, and is refused in IKE_AUTH.
     */
    private void deleteIfRevoked(IpsecSite site, IkeSession s, SiteCertificates certificates, Results out) {
        java.util.Optional<IkeAction.Failed> revoked = s.peerRevoked(certificates.latest());
        if (revoked.isPresent()) {
            IkeAction.Failed f = revoked.get();
            site.lastFailure = java.util.Optional.of(f.reason() + ": " + f.detail());
            site.lastFailureAt = java.util.Optional.of(env.clock().now());
            LOG.log(Level.WARNING, "{0}: {1} while the IKE SA was up: {2}; deleting the IKE SA (SPI {3}_i); {4}", site.name(),
                    f.reason(), f.detail(), hex(s.initiatorSpi()), IkeAdvice.remedy(f.reason(), true));
            apply(site, s, s.delete(), out);
        }
    }

    private void initiate(IpsecSite site, Results out) {
        InetSocketAddress peer = site.settings.endpoint().get();
        InetAddress ours = sourceFor.apply(peer.getAddress());
        IkeSession s = new IkeSession(site.settings.config().apply(new InetSocketAddress(ours, Ike.IKE_PORT), peer),
                env.clock(), env.random());
        // asked under the site's lock (IKE_AUTH is built while a message or the timer is handled)
        s.sendInitialContactWhen(() -> site.sessions.size() == 1 && site.sessions.get(0) == s);
        site.sessions.add(s);
        site.peer = java.util.Optional.of(peer);
        LOG.log(Level.INFO, "{0}: initiating IKE SA with {1}", site.name(), peer);
        apply(site, s, s.initiate(), out);
    }

    /** Deletes every IKE SA (INFORMATIONAL Delete), for a clean shutdown: what to send in {@code out}. */
    public void deleteAll(Results out) {
        for (IpsecSite site : sites) {
            synchronized (site) {
                for (IkeSession s : List.copyOf(site.sessions)) {
                    apply(site, s, s.delete(), out);
                }
            }
        }
    }

    private static long earlier(long a, long b) {
        return a == Long.MAX_VALUE || b - a < 0 ? b : a;
    }

    private static long longAt(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    private static String hex(long spi) {
        return String.format("%016x", spi);
    }

    @Override
    public void handshakeBacklog() {
    }

    @Override
    public void forgetLocalSource(InetAddress gone) {
    }

    @Override
    public int overhead() {
        return EspSa.OVERHEAD;
    }

    /** Tests: cookies required beyond {@code perSecond} new IKE SAs a second (0: always), before any traffic. */
    void requireCookiesAbove(int perSecond) {
        cookies = new IkeCookies(env.clock(), env.random(), perSecond);
    }

    @Override
    public long drops(Drop reason) {
        return drops[reason.ordinal()].sum();
    }

    /** Deletes every IKE SA (the Deletes in {@code out}, sent once: the peer may confirm or not), then forgets every key. */
    @Override
    public void shutdown(Results out) {
        deleteAll(out);
        for (IpsecSite site : sites) {
            synchronized (site) {
                site.sessions.clear();
                site.askedPairs.clear();
                site.installed.clear();
                site.outbound = null;
            }
        }
        inbound = new Inbound[0];
    }
}
