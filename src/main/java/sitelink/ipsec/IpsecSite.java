package sitelink.ipsec;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import sitelink.crypto.Key;
import sitelink.esp.EspSa;
import sitelink.ike.ChildSa;
import sitelink.ike.IkeConfig;
import sitelink.ike.IkeSession;
import sitelink.ike.Proposal;
import sitelink.tunnel.Remote;

/**
 * An IKEv2 remote site on the data path: the IKE sessions with its gateway (usually one; two for a moment when both
 * ends initiate at once, or after the peer restarted) and the ESP SAs their CHILD SAs installed. The TUN reader seals
 * with {@link #outbound}, the UDP reader opens by SPI through the tunnel's table; everything else (the sessions,
 * what status reads) is guarded by the site's lock and touched only by the handshake and timer threads.
 */
public final class IpsecSite implements Remote {
    /**
     * What the gateway says about the site: its name, where its IKE messages go (empty: it only answers), whether
     * this side initiates at start (and again after the SA is lost) or on the first packet, and the session
     * configuration for a pair of addresses (ours, the peer's), and with certificates, the site's credentials (our
     * certificate's expiry, the CRL files the timer re-reads; {@code config} takes the CRLs from them).
     */
    public record Settings(String name, Optional<InetSocketAddress> endpoint, boolean initiateAtStart,
                           boolean initiateOnTraffic, BiFunction<InetSocketAddress, InetSocketAddress, IkeConfig> config,
                           Optional<SiteCertificates> certificates, Optional<String> unresolved,
                           Optional<java.nio.file.Path> pskFile) {
        /**
         * {@code unresolved}: the site has an endpoint, a DNS name that did not resolve (why, for status): it has no
         * address to initiate to and, unlike a site without an endpoint, answers no one until the name resolves.
         * {@code pskFile}: the pre-shared key's file, whose age status shows.
         */
        public Settings {
        }

        public Settings(String name, Optional<InetSocketAddress> endpoint, boolean initiateAtStart, boolean initiateOnTraffic,
                        BiFunction<InetSocketAddress, InetSocketAddress, IkeConfig> config, Optional<SiteCertificates> certificates,
                        Optional<String> unresolved) {
            this(name, endpoint, initiateAtStart, initiateOnTraffic, config, certificates, unresolved, Optional.empty());
        }

        public Settings(String name, Optional<InetSocketAddress> endpoint, boolean initiateAtStart, boolean initiateOnTraffic,
                        BiFunction<InetSocketAddress, InetSocketAddress, IkeConfig> config, Optional<SiteCertificates> certificates) {
            this(name, endpoint, initiateAtStart, initiateOnTraffic, config, certificates, Optional.empty());
        }

        /** A site without certificates (pre-shared key). */
        public Settings(String name, Optional<InetSocketAddress> endpoint, boolean initiateAtStart, boolean initiateOnTraffic,
                        BiFunction<InetSocketAddress, InetSocketAddress, IkeConfig> config) {
            this(name, endpoint, initiateAtStart, initiateOnTraffic, config, Optional.empty());
        }
    }

    /**
     * A CHILD SA as the data path holds it: the ESP SA, the session that made it, and what status shows.
     * {@code outboundFrom} is when outgoing packets may use it (clock nanoTime): {@link #OUTBOUND_NOW} at once, except for
     * a CHILD SA we answered a rekey with, which waits until the peer deletes the old one (or a few seconds pass),
     * because the peer installs its inbound half only when our answer arrives (RFC 7296 section 2.8, as strongSwan
     * does), and a redundant one of a rekey collision, which never carries ({@link #OUTBOUND_NEVER}).
     */
    record Installed(IkeSession owner, EspSa sa, ChildSa child, Instant at, long outboundFrom, Selectors selectors) {
        Installed(IkeSession owner, EspSa sa, ChildSa child, Instant at, long outboundFrom) {
            this(owner, sa, child, at, outboundFrom, Selectors.of(child.localSelectors(), child.remoteSelectors()));
        }

        /** The same CHILD SA, now free to carry outgoing packets. */
        Installed outboundNow() {
            return new Installed(owner, sa, child, at, OUTBOUND_NOW, selectors);
        }
    }

    /** The CHILD SA outgoing packets use: its ESP SA and the selectors each packet must fit. */
    record Outgoing(EspSa sa, Selectors selectors) {
    }

    /** {@link Installed#outboundFrom} of a CHILD SA that carries outgoing packets now, and of one that never does. */
    static final long OUTBOUND_NOW = Long.MIN_VALUE, OUTBOUND_NEVER = Long.MAX_VALUE;

    final Settings settings;
    /** The ID the peer must present, when the site file names one (see {@link #remoteId}); null until first asked. */
    private volatile sitelink.ike.IkeId remoteId;
    private final Key id;
    private final int tunnelIndex;

    // ---- data path (volatile: the TUN and UDP readers read them without the lock)
    /**
     * The CHILD SAs outgoing packets use, one per set of selectors (the newest of each: a rekey replaces its
     * predecessor), the most recently made set first; a packet takes the first whose selectors it fits. Usually one;
     * several when the peer made a CHILD SA per subnet pair (a policy-based gateway, strongSwan with several
     * children). Null while none is installed.
     */
    volatile Outgoing[] outbound;
    /** Where ESP-in-UDP goes: the peer's address and port 4500 (or what NAT made of it). */
    volatile InetSocketAddress espDestination;
    /**
     * For NAT keepalives (timer thread only): {@link #txPackets} when last looked at, when it last changed or a
     * keepalive went, and how many keepalives went.
     */
    long espSeenCount, espSeenNanos, natKeepalives;
    /** ESP arrived since the timer last told the sessions (a liveness check is then unnecessary). */
    volatile boolean heard;
    /** A packet wanted to go out with no CHILD SA: with start_action trap, the timer initiates. */
    volatile boolean trafficWaiting;
    /** An outgoing SA running out of sequence numbers (null: none): the timer asks its session for a rekey. */
    volatile EspSa sequenceLow;
    final LongAdder rxBytes = new LongAdder(), txBytes = new LongAdder(), rxPackets = new LongAdder(), txPackets = new LongAdder();

    // ---- control (the lock)
    final List<IkeSession> sessions = new ArrayList<>();
    /** Per IKE SA we initiated: the selector pairs we asked further CHILD SAs for (once each). */
    final java.util.Map<IkeSession, java.util.Set<String>> askedPairs = new java.util.IdentityHashMap<>();
    final List<Installed> installed = new ArrayList<>();
    /** A copy of {@link #installed} as of its last change, for building the tunnel's SPI table without this lock. */
    volatile List<Installed> published = List.of();
    /** When the timer next initiates after a loss (clock nanoTime), and how long it waits the time after. */
    long retryAt;
    long retryDelayNanos = IpsecTunnel.FIRST_RETRY_NANOS;
    boolean established;
    Optional<Proposal> ikeProposal = Optional.empty();
    Optional<String> keyExchange = Optional.empty();
    long spiI, spiR;
    boolean natTraversal;
    /** Whether this gateway is behind a NAT towards the site (its IKE SA's NAT detection): it sends NAT keepalives. */
    boolean behindNat;
    Optional<Instant> establishedAt = Optional.empty();
    /** When the certificate the peer authenticated the newest IKE SA with expires. */
    Optional<Instant> peerCertificateExpires = Optional.empty();
    Optional<String> lastFailure = Optional.empty();
    Optional<Instant> lastFailureAt = Optional.empty();
    Optional<InetSocketAddress> peer;
    /** The narrowed selectors last warned about (so that a rekey under the same ones says nothing). */
    String narrowedWarned = "";
    /** A reload removed the site (or replaced it with new settings): it initiates and answers no more. */
    boolean retired;
    /** The {@link SiteCertificates#generation} of the CRLs the established IKE SAs were last checked against. */
    int crlGeneration;

    IpsecSite(Settings settings, int tunnelIndex) {
        this.settings = settings;
        this.tunnelIndex = tunnelIndex;
        this.id = idOf(settings.name());
        this.peer = settings.endpoint();
    }

    /**
     * The key the site policy, the counters and status know an IKEv2 site by: SHA-256 of "ikev2:" and its name.
     * WireGuard sites are keyed by their public keys; this one is no key of anything, only a name that cannot collide.
     */
    public static Key idOf(String name) {
        try {
            return Key.of(MessageDigest.getInstance("SHA-256").digest(("ikev2:" + name).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The ID the peer must present, as the site file's remote_id gives it. A site without one expects the peer's
     * address, which this cannot know (the wildcard address then): sites without an endpoint each name theirs when
     * there are several, which is when this is asked.
     */
    sitelink.ike.IkeId remoteId() {
        sitelink.ike.IkeId id = remoteId;
        if (id == null) {
            InetSocketAddress any = new InetSocketAddress(java.net.InetAddress.ofLiteral("0.0.0.0"), 500);
            id = settings.config().apply(any, any).remoteId();
            remoteId = id;
        }
        return id;
    }

    public String name() {
        return settings.name();
    }

    /** What the gateway said about the site when it was made (its endpoint as looked up then). */
    public Settings settings() {
        return settings;
    }

    @Override
    public Key id() {
        return id;
    }

    @Override
    public Optional<InetSocketAddress> endpoint() {
        return Optional.ofNullable(espDestination).or(() -> peer);
    }

    @Override
    public int tunnel() {
        return tunnelIndex;
    }

    /** Whether outgoing packets use {@code sa} (for status's marker). */
    private boolean carriesOutbound(EspSa sa) {
        Outgoing[] os = outbound;
        if (os != null) {
            for (Outgoing o : os) {
                if (o.sa() == sa) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The site as status shows it, taken under the lock. */
    synchronized IpsecSiteStatus status(long nowNanos, Instant now) {
        String state;
        // A failure since the SA was last up (an unanswered liveness check, refused credentials) keeps the site DOWN
        // while this side tries again, as a WireGuard site whose initiations go unanswered is DOWN, not CONNECTING.
        // a half-open session of a branch that has not said which site without an endpoint it is, is none of ours
        boolean hasOwnSession = sessions.stream().anyMatch(x -> !x.siteUnknown());
        boolean failedSinceUp = lastFailureAt.isPresent()
                && establishedAt.map(up -> !lastFailureAt.get().isBefore(up)).orElse(true);
        if (established) {
            state = "ESTABLISHED";
        } else if (hasOwnSession && !failedSinceUp) {
            state = "CONNECTING";
        } else if (settings.initiateAtStart() || settings.initiateOnTraffic()) {
            state = "DOWN";
        } else {
            state = "WAITING";
        }
        List<IpsecSiteStatus.Child> children = new ArrayList<>();
        for (Installed i : installed) {
            children.add(new IpsecSiteStatus.Child(i.child().inboundSpi(), i.child().outboundSpi(),
                    i.child().encr().name() + (i.child().integ() == 0 ? "" : "-" + sitelink.ike.Transform.of(sitelink.ike.Ike.INTEG, i.child().integ()).name()),
                    i.child().localSelectors().toString(), i.child().remoteSelectors().toString(), i.at(), carriesOutbound(i.sa())));
        }
        Optional<Instant> retry = established ? Optional.empty()
                : hasOwnSession && failedSinceUp ? Optional.of(now) // trying again now
                : !hasOwnSession && retryAt != 0 && settings.initiateAtStart()
                ? Optional.of(now.plusNanos(Math.max(0, retryAt - nowNanos))) : Optional.empty();
        return new IpsecSiteStatus(name(), id, state, endpoint(), ikeProposal.map(p -> p.toString().replaceFirst("^IKE:", "")), spiI, spiR, natTraversal,
                establishedAt, children, lastFailure, lastFailureAt, retry, rxBytes.sum(), txBytes.sum(),
                rxPackets.sum(), txPackets.sum(), keyExchange, settings.certificates().map(SiteCertificates::expires),
                peerCertificateExpires, settings.pskFile().flatMap(IpsecSite::lastChanged), awaitedId());
    }

    /**
     * For a site that answers anyone (no endpoint): the ID its peer must present, when the site file writes one (without
     * it the peer's address is expected, which is not known before it connects).
     */
    private Optional<String> awaitedId() {
        if (settings.endpoint().isPresent() || settings.unresolved().isPresent()) {
            return Optional.empty();
        }
        sitelink.ike.IkeId expected = remoteId();
        return expected.sameAs(sitelink.ike.IkeId.of(java.net.InetAddress.ofLiteral("0.0.0.0")))
                ? Optional.empty() : Optional.of(expected.toString());
    }

    /** When a file last changed; empty when it cannot be read (status is no place to fail for it). */
    private static Optional<Instant> lastChanged(java.nio.file.Path file) {
        try {
            return Optional.of(java.nio.file.Files.getLastModifiedTime(file).toInstant());
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }
}
