package sitelink.ike;

import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import sitelink.tunnel.Clock;

/**
 * One IKE SA with one remote site, both roles, sans-IO (RFC 7296): IKE_SA_INIT, IKE_AUTH with a PSK and the first
 * CHILD SA, NAT detection and the move to UDP 4500 (RFC 3947/3948), retransmission with back-off, and INFORMATIONAL
 * answers (liveness checks, deletes). Events in ({@link #initiate}, {@link #receive}, {@link #tick}), actions out;
 * time only from the injected clock. Not thread-safe: one caller thread drives it.
 */
public final class IkeSession {
    public enum State { IDLE, INIT_SENT, INIT_ANSWERED, AUTH_SENT, ESTABLISHED, CLOSED, FAILED }

    private static final byte[] NON_ESP_MARKER = new byte[4];
    private static final int MAX_KE_RETRIES = 2;
    /** The largest IP packet an IKE message is sent in once fragmentation is agreed: strongSwan's default, safe on any path. */
    static final int FRAGMENT_PACKET = 1280;

    /** The site's configuration; a responder may exchange it once, at IKE_AUTH, for the site the peer's ID names. */
    private IkeConfig config;
    private IkeAuth authenticator;
    /** For a responder that answers for several sites: which one the initiator's ID names (null: this config's only). */
    private IdentityChoice identityChoice;
    private boolean identityChose;
    /** Further CHILD SAs asked for ({@link #requestChildSa}): [local, remote] selectors, sent one at a time. */
    private final java.util.ArrayDeque<List<List<TrafficSelector>>> wantedChildren = new java.util.ArrayDeque<>();
    private boolean siteUnknown;
    private final Clock clock;
    private final SecureRandom random;

    private State state = State.IDLE;
    private boolean initiator;
    private long spiI, spiR;
    private DhGroup.Exchange dh;
    private byte[] ni, nr, firstMessage, secondMessage, cookie;
    private IkeKeys keys;
    private Proposal ikeProposal;
    private InetSocketAddress remote;
    private boolean natT;
    private boolean behindNat;
    /** The certificates the peer authenticated with (its own first, as sent); empty with a PSK or before IKE_AUTH. */
    private List<java.security.cert.X509Certificate> peerCertificates = List.of();
    private int inboundChildSpi;
    /** The installed CHILD SAs by outbound SPI (the peer's inbound, what its Delete payloads name: section 1.4.1). */
    private final java.util.Map<Integer, Child> children = new java.util.LinkedHashMap<>();
    /** When we rekey the IKE SA, as the clock's nanoTime (set when it is established). */
    private long ikeRekeyAt;
    /** When the IKE SA's keys expire if no rekey has replaced them: {@link #hardLifetime} after they were made. */
    private long ikeHardEndAt;
    private int keRetries;
    private long lastHeardNanos;
    /** The hashes of the peer's SIGNATURE_HASH_ALGORITHMS (RFC 7427), empty when it sent none. */
    private List<Integer> peerHashes = List.of();
    /**
     * Asked when our IKE_AUTH request is built: whether to say INITIAL_CONTACT, i.e. that we hold no other IKE SA with
     * the peer, which lets it drop any it still has with us. Always, unless the caller knows better ({@link
     * #sendInitialContactWhen}).
     */
    private java.util.function.BooleanSupplier initialContact = () -> true;
    /** The peer's IKE_AUTH request (we answered) carried INITIAL_CONTACT. */
    private boolean peerInitialContact;

    private long nextRequestId;
    private long expectedPeerRequestId;
    private List<byte[]> lastResponse;
    private byte[] lastRequest, pendingRequest;
    /** Whether the peer announced IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383): then large messages go as fragments. */
    private boolean peerFragments;
    private final Reassembly reassembly = new Reassembly();
    private int lastResponsePort;
    private Outstanding outstanding;
    /** RFC 9370: the additional key exchanges of IKE_SA_INIT's proposal still to do in IKE_INTERMEDIATE exchanges. */
    private final List<Integer> pendingAdditional = new ArrayList<>();
    /** RFC 9242: IntAuth_i and IntAuth_r so far (empty before the first IKE_INTERMEDIATE exchange). */
    private byte[] intAuthI = new byte[0], intAuthR = new byte[0];
    /** Whether the peer announced INTERMEDIATE_EXCHANGE_SUPPORTED in IKE_SA_INIT. */
    private boolean peerIntermediate;

    /**
     * A request we sent and await the answer to: resent at {@code deadline} with doubling timeouts; {@code purpose} is
     * what its answer completes (null for IKE_SA_INIT, IKE_AUTH, liveness checks and the IKE SA's delete).
     */
    private record Outstanding(long messageId, int localPort, List<byte[]> datagrams, long deadline, int tries, Request purpose) {
    }

    /** What a request of ours started, for its answer. */
    private sealed interface Request {
    }

    /**
     * A liveness check (an empty INFORMATIONAL): given up at {@code giveUpAt}, one and a half DPD intervals after it was
     * sent, or at the end of the retransmissions if that comes first, so that a dead peer is down well within three
     * intervals of its last word.
     */
    private record Liveness(long giveUpAt) implements Request {
    }

    /** CREATE_CHILD_SA rekeying {@code old}: our new inbound SPI, our nonce, our PFS exchange (null without a group). */
    private record ChildRekey(Child old, int newSpi, byte[] nonce, DhGroup.Exchange pfs, boolean keRetried) implements Request {
    }

    /** CREATE_CHILD_SA for a further CHILD SA beside the others (no REKEY_SA), for the selectors asked for. */
    private record NewChild(List<TrafficSelector> local, List<TrafficSelector> remote, int newSpi, byte[] nonce,
                            DhGroup.Exchange pfs, boolean keRetried) implements Request {
    }

    /** IKE_INTERMEDIATE (RFC 9242) with our half of an additional key exchange (RFC 9370 section 2.2.2). */
    private record Intermediate(DhGroup.Exchange exchange) implements Request {
    }

    /**
     * RFC 9370 section 2.2.4: a CREATE_CHILD_SA whose selected proposal names additional key exchanges goes on in
     * IKE_FOLLOWUP_KE exchanges, one per method, each tied to the last by the responder's ADDITIONAL_KEY_EXCHANGE data
     * ({@code link}); when all are done {@code complete} gets SK(1) | ... | SK(n) and installs the CHILD SA or IKE SA.
     */
    private static final class FollowUp {
        final List<Integer> methods;
        final java.io.ByteArrayOutputStream secrets = new java.io.ByteArrayOutputStream();
        final java.util.function.BiConsumer<byte[], List<IkeAction>> complete;
        /** Called instead when an exchange fails (the old SA stays). */
        final java.util.function.BiConsumer<String, List<IkeAction>> failed;
        byte[] link;
        /**
         * The CHILD SA the peer's exchange rekeys, while we await its IKE_FOLLOWUP_KE: our timer leaves it alone
         * meanwhile. Were we to rekey it too, neither side would see the collision (section 2.8.1: ours would not be
         * outstanding when the peer's request came, nor the peer's when ours came), and both new CHILD SAs would stay.
         */
        Child rekeys;

        FollowUp(List<Integer> methods, byte[] link, java.util.function.BiConsumer<byte[], List<IkeAction>> complete,
                 java.util.function.BiConsumer<String, List<IkeAction>> failed) {
            this.methods = new ArrayList<>(methods);
            this.link = link;
            this.complete = complete;
            this.failed = failed;
        }
    }

    /** IKE_FOLLOWUP_KE of ours: our half of the next additional key exchange of {@code followUp}. */
    private record FollowUpKe(FollowUp followUp, DhGroup.Exchange exchange) implements Request {
    }

    /** The additional key exchanges of a CREATE_CHILD_SA the peer started and we answered, awaiting its IKE_FOLLOWUP_KE. */
    private FollowUp peerFollowUp;

    /** CREATE_CHILD_SA rekeying the IKE SA (section 2.18): our SPI of the new SA, our nonce and DH exchange. */
    private record IkeRekey(long newSpi, byte[] nonce, DhGroup.Exchange dh, boolean keRetried) implements Request {
    }

    /**
     * The IKE SA a rekey replaced, kept until its Delete is answered (ours) or arrives (the peer's): its SPIs, keys and
     * role, its message IDs, and its last response (a lost answer to the rekey request is answered again from it).
     */
    private record Retired(long spiI, long spiR, IkeKeys keys, boolean initiator, long nextRequestId, long expectedPeerRequestId,
                           byte[] lastRequest, List<byte[]> lastResponse) {
    }

    /**
     * IKE SAs replaced by a rekey (or made redundant in a collision), kept until their Delete; at most
     * {@link #MAX_RETIRED}, the oldest forgotten first (a peer that never deletes them cannot grow this).
     */
    private final List<Retired> retired = new ArrayList<>();
    private static final int MAX_RETIRED = 4;

    /**
     * Our Delete of a retired IKE SA, retransmitted as any request until answered (RFC 7296 section 2.1) or until the
     * tries are spent, then the SA is forgotten: its datagrams, the port they leave from, when next and how often so far.
     */
    private static final class DeleteInFlight {
        final Retired sa;
        final List<byte[]> datagrams;
        final int localPort;
        long deadline;
        int tries;

        DeleteInFlight(Retired sa, List<byte[]> datagrams, int localPort, long deadline) {
            this.sa = sa;
            this.datagrams = datagrams;
            this.localPort = localPort;
            this.deadline = deadline;
        }
    }

    private final List<DeleteInFlight> deletesInFlight = new ArrayList<>();

    /**
     * The IKE SA the peer's rekey request made while ours was outstanding (section 2.8.2): kept until our answer comes,
     * then the one whose exchange holds the lowest nonce is deleted by the side that made it.
     */
    private record Candidate(long spiI, long spiR, IkeKeys keys, Proposal proposal, byte[] lowestNonce) {
    }

    private Candidate peerRekey;

    /** INFORMATIONAL deleting CHILD SAs that a rekey replaced (or made redundant in a collision). */
    private record ChildDelete(List<Child> gone) implements Request {
    }

    /**
     * An installed CHILD SA: its SPIs, selectors, when we rekey it ({@code replaced} once a newer one took over) and
     * when it must stop carrying packets if no rekey has replaced it by then.
     */
    private static final class Child {
        final int inboundSpi, outboundSpi;
        final List<TrafficSelector> local, remote;
        long rekeyAt;
        final long hardEndAt;
        boolean replaced;
        /**
         * While we rekey it, the peer did too (section 2.8.1): the lower nonce of the peer's exchange, which decides
         * whose new SA is redundant.
         */
        byte[] collisionNonce;
        /**
         * Made by the peer's rekey of {@code replaces}, which we answered: outgoing packets wait until the peer deletes
         * that one ({@link IkeAction.ChildSaReady}); null once they may, or when it replaced none.
         */
        Child awaitsDeleteOf;

        Child(int inboundSpi, int outboundSpi, List<TrafficSelector> local, List<TrafficSelector> remote, long rekeyAt,
              long hardEndAt) {
            this.inboundSpi = inboundSpi;
            this.outboundSpi = outboundSpi;
            this.local = local;
            this.remote = remote;
            this.rekeyAt = rekeyAt;
            this.hardEndAt = hardEndAt;
        }
    }

    /** RFC 9370's error notify for an IKE_FOLLOWUP_KE that belongs to no exchange we answered. */
    private static final int STATE_NOT_FOUND = 47;

    /** Appended to a refusal when this site offers only hybrid proposals ({@code post_quantum: required}). */
    private static final String POST_QUANTUM_REQUIRED = "; this site requires a post-quantum hybrid key exchange (post_quantum: required),"
            + " and the peer does not offer ML-KEM (strongSwan needs 6.0 or later with ke1_mlkem768 in its proposals)";

    /** How long after a refused or unanswerable rekey we try again. */
    private static final java.time.Duration REKEY_RETRY = java.time.Duration.ofSeconds(30);

    public IkeSession(IkeConfig config, Clock clock, SecureRandom random) {
        this.config = config;
        this.authenticator = new IkeAuth(config);
        this.clock = clock;
        this.random = random;
        this.remote = config.remote();
    }

    public State state() {
        return state;
    }

    /** The configuration this session negotiates with (proposals, selectors, lifetimes). */
    public IkeConfig config() {
        return config;
    }

    /**
     * Our IKE_AUTH request will carry INITIAL_CONTACT only if {@code alone} says so when it is built: the gateway
     * answers whether this is its only IKE session with the peer, half-open ones included. Two gateways that initiate at
     * once then both leave it out (each already answers the other's IKE_SA_INIT), and neither drops the other's new IKE
     * SA for it; as strongSwan does.
     */
    public void sendInitialContactWhen(java.util.function.BooleanSupplier alone) {
        this.initialContact = alone;
    }

    /**
     * The sites a responder answers for before the initiator has said who it is (a gateway's sites without an
     * endpoint): IKE_SA_INIT is answered with this session's configuration, which they share (ike_proposals,
     * authentication kind); the ID in IKE_AUTH then picks the site whose configuration authenticates the peer and
     * negotiates the CHILD SA.
     */
    public interface IdentityChoice {
        /** The configuration of the site whose remote ID is {@code peer}; empty when none is. */
        Optional<IkeConfig> configFor(IkeId peer);

        /** Which IDs the sites expect, for the failure when none matched ("office-b: 198.51.100.2, office-c: c.example"). */
        String expected();
    }

    /** A responder only: at IKE_AUTH, the initiator's ID picks the configuration among the sites {@code choice} knows. */
    public void chooseByIdentity(IdentityChoice choice) {
        this.identityChoice = choice;
        this.siteUnknown = true;
    }

    /**
     * True while this session answers for several sites and the initiator's ID has not named one of them (before its
     * IKE_AUTH, or when no site expects its ID): what fails then is no one site's failure.
     */
    public boolean siteUnknown() {
        return siteUnknown;
    }

    public boolean natTraversal() {
        return natT;
    }

    /**
     * Whether this side is behind a NAT (the peer saw our IKE_SA_INIT come from another address or port than we sent
     * it from): then this side keeps the NAT's mapping open with NAT keepalives (RFC 3948 section 2.3).
     */
    public boolean behindNat() {
        return behindNat;
    }

    /**
     * When {@link #tick} next has work (a retransmission, also of our Delete of a replaced IKE SA, a rekey, a liveness
     * check), as the clock's nanoTime; empty
     * when nothing waits. A rekey that falls due while a request is outstanding waits for its answer (one request at
     * a time), so ask again after each {@link #receive}.
     */
    public Optional<Long> nextWake() {
        Optional<Long> wake = nextOwnWake();
        for (DeleteInFlight d : deletesInFlight) {
            if (retired.contains(d.sa) && (wake.isEmpty() || d.deadline - wake.get() < 0)) {
                wake = Optional.of(d.deadline);
            }
        }
        return wake;
    }

    /** {@link #nextWake} of the current IKE SA alone (its request, rekeys, liveness check). */
    private Optional<Long> nextOwnWake() {
        if (outstanding != null) {
            return Optional.of(outstanding.deadline);
        }
        if (state != State.ESTABLISHED) {
            return Optional.empty();
        }
        if (!wantedChildren.isEmpty()) {
            return Optional.of(clock.nanoTime());
        }
        long wake = ikeRekeyAt - ikeHardEndAt < 0 ? ikeRekeyAt : ikeHardEndAt;
        for (Child c : children.values()) {
            if (rekeyable(c) && c.rekeyAt - wake < 0) {
                wake = c.rekeyAt;
            }
            if (!c.replaced && c.hardEndAt - wake < 0) {
                wake = c.hardEndAt;
            }
        }
        if (!config.dpdInterval().isZero() && lastHeardNanos + config.dpdInterval().toNanos() - wake < 0) {
            wake = lastHeardNanos + config.dpdInterval().toNanos();
        }
        return Optional.of(wake);
    }

    /**
     * The caller's ESP SA for this CHILD SA (by inbound SPI) is running out of sequence numbers
     * ({@code EspSa.needsRekey()}): rekey it now rather than at its timer (as soon as no other request is outstanding).
     */
    public List<IkeAction> rekeyChildSa(int inboundSpi) {
        for (Child c : children.values()) {
            if (c.inboundSpi == inboundSpi && !c.replaced && c.rekeyAt - clock.nanoTime() > 0) {
                c.rekeyAt = clock.nanoTime();
            }
        }
        return tick();
    }

    /**
     * Asks for a further CHILD SA for {@code local === remote} (within the site's selectors) beside those this IKE SA
     * has: for a pair of subnets the peer left out when it narrowed the first (a policy-based gateway makes one CHILD SA
     * per pair). Sent by {@link #tick} when no other request is outstanding; its answer installs the CHILD SA, or is
     * a {@code Failed} naming the pair while the IKE SA and the other CHILD SAs stay.
     */
    public void requestChildSa(List<TrafficSelector> local, List<TrafficSelector> remote) {
        wantedChildren.add(List.of(List.copyOf(local), List.copyOf(remote)));
    }

    /** True when a CHILD SA asked for ({@link #requestChildSa}) can be sent now: {@link #tick} sends it. */
    public boolean childRequestReady() {
        return state == State.ESTABLISHED && outstanding == null && !wantedChildren.isEmpty();
    }

    /** ESP arrived from the peer on one of this IKE SA's CHILD SAs: it is alive, no liveness check needed (RFC 3706 idea). */
    public void noteInboundTraffic() {
        lastHeardNanos = clock.nanoTime();
    }

    // ---- initiator: IKE_SA_INIT request ----

    /** Starts an IKE SA as initiator: the IKE_SA_INIT request. */
    public List<IkeAction> initiate() {
        initiator = true;
        spiI = nonZeroSpi();
        spiR = 0;
        ni = randomBytes(32);
        int group = config.ikeProposals().get(0).dhGroup();
        dh = DhGroup.generate(group, random);
        List<IkeAction> out = new ArrayList<>();
        sendInitRequest(out);
        return out;
    }

    private void sendInitRequest(List<IkeAction> out) {
        List<Payload> p = new ArrayList<>();
        if (cookie != null) {
            p.add(Payload.Notify.of(Ike.COOKIE, cookie)); // section 2.6: the cookie comes first
        }
        p.add(new Payload.SecurityAssociation(config.ikeProposals()));
        p.add(new Payload.KeyExchange(dh.group(), dh.publicValue()));
        p.add(new Payload.Nonce(ni));
        p.addAll(natdNotifies(spiI, 0, config.local(), remote));
        if (config.fragmentation()) {
            p.add(Payload.Notify.of(Ike.IKEV2_FRAGMENTATION_SUPPORTED));
        }
        if (config.certificates().isPresent()) {
            p.add(Payload.Notify.of(Ike.SIGNATURE_HASH_ALGORITHMS, SignatureAuth.hashesNotifyData()));
        }
        if (config.ikeProposals().stream().anyMatch(Proposals::hybrid)) {
            p.add(Payload.Notify.of(Ike.INTERMEDIATE_EXCHANGE_SUPPORTED)); // RFC 9370 section 2.2.1 needs RFC 9242
        }
        firstMessage = new IkeMessage(spiI, 0, Ike.IKE_SA_INIT, Ike.FLAG_INITIATOR, 0, p).encode();
        nextRequestId = 1;
        state = State.INIT_SENT;
        sendRequest(out, 0, Ike.IKE_PORT, List.of(firstMessage));
    }

    // ---- receiving ----

    /**
     * A datagram that arrived on our UDP port {@code localPort} from {@code from}. On 4500 it starts with the
     * non-ESP marker (anything else there is ESP, not ours) or is a 1-byte NAT keepalive (ignored).
     */
    public List<IkeAction> receive(InetSocketAddress from, int localPort, byte[] b, int off, int len) {
        List<IkeAction> out = new ArrayList<>();
        if (localPort == Ike.NAT_T_PORT) {
            if (len == 1 && b[off] == (byte) 0xff) {
                return out; // RFC 3948 section 2.3: a NAT keepalive
            }
            if (len < 4 || b[off] != 0 || b[off + 1] != 0 || b[off + 2] != 0 || b[off + 3] != 0) {
                out.add(new IkeAction.Dropped("ESP or garbage on 4500, not IKE"));
                return out;
            }
            off += 4;
            len -= 4;
        }
        switch (IkeMessage.decode(b, off, len)) {
            case IkeMessage.Decoded.Bad bad -> out.add(new IkeAction.Dropped("malformed: " + bad.reason().description()));
            case IkeMessage.Decoded.Ok ok -> dispatch(ok.message(), Arrays.copyOfRange(b, off, off + len), from, localPort, out);
        }
        return out;
    }

    private void dispatch(IkeMessage m, byte[] raw, InetSocketAddress from, int localPort, List<IkeAction> out) {
        if (m.exchange() == Ike.IKE_SA_INIT) {
            if (m.isResponse() && initiator && state == State.INIT_SENT && m.spiI() == spiI) {
                initResponse(m, raw, out);
            } else if (!m.isResponse() && !initiator && m.spiR() == 0) {
                initRequest(m, raw, from, localPort, out);
            } else {
                out.add(new IkeAction.Dropped("unexpected " + m.describe()));
            }
            return;
        }
        for (Retired old : retired) {
            if (m.spiI() == old.spiI && m.spiR() == old.spiR) {
                retiredMessage(old, m, raw, out);
                return;
            }
        }
        if (keys == null || m.spiI() != spiI || m.spiR() != spiR) {
            out.add(new IkeAction.Dropped("no IKE SA for " + m.describe()));
            return;
        }
        if (m.fromInitiator() == initiator) {
            out.add(new IkeAction.Dropped("a message with our own role's flag: " + m.describe())); // a reflection
            return;
        }
        SkCipher in = initiator ? keys.responderCipher : keys.initiatorCipher;
        if (!m.isResponse()) {
            if (m.messageId() == expectedPeerRequestId - 1 && lastResponse != null) {
                boolean firstFragment = m.first(Payload.EncryptedFragment.class).map(f -> f.number() == 1).orElse(false);
                if (Arrays.equals(raw, lastRequest) || firstFragment) { // RFC 7383 section 2.6.1: answer fragment 1 only
                    send(out, lastResponsePort, lastResponse); // a retransmitted request: the same answer again (section 2.1)
                } else {
                    out.add(new IkeAction.Dropped("a different request with the last message ID " + m.messageId()));
                }
                return;
            }
            if (m.messageId() != expectedPeerRequestId) {
                out.add(new IkeAction.Dropped("request with message ID " + m.messageId() + ", expected " + expectedPeerRequestId));
                return;
            }
        } else if (outstanding == null || m.messageId() != outstanding.messageId) {
            out.add(new IkeAction.Dropped("response to no outstanding request: " + m.describe()));
            return;
        }
        IkeMessage plain;
        if (!m.isResponse()) {
            pendingRequest = raw;
        }
        if (m.first(Payload.EncryptedFragment.class).isPresent()) {
            switch (reassembly.add(m, raw, in)) {
                case Reassembly.Result.Whole w -> plain = w.message();
                case Reassembly.Result.Waiting w -> {
                    return;
                }
                case Reassembly.Result.Bad bad -> {
                    out.add(new IkeAction.Dropped(bad.why()));
                    return;
                }
            }
        } else {
            switch (m.decrypt(raw, 0, in)) {
                case IkeMessage.Decoded.Bad bad -> {
                    out.add(new IkeAction.Dropped(bad.reason().description()));
                    return;
                }
                case IkeMessage.Decoded.Ok ok -> plain = ok.message();
            }
        }
        lastHeardNanos = clock.nanoTime();
        if (localPort == Ike.NAT_T_PORT && !from.equals(remote)) {
            remote = from; // an authenticated message from a new address (a NAT rebinding)
        }
        if (m.isResponse()) {
            Request purpose = outstanding.purpose;
            outstanding = null;
            if (m.exchange() == Ike.IKE_AUTH && state == State.AUTH_SENT) {
                authResponse(plain, out);
            } else if (purpose instanceof Intermediate r && m.exchange() == Ike.IKE_INTERMEDIATE && state == State.INIT_ANSWERED) {
                intermediateResponse(plain, r, out);
            } else if (purpose instanceof ChildRekey r && m.exchange() == Ike.CREATE_CHILD_SA && state == State.ESTABLISHED) {
                childRekeyResponse(plain, r, out);
            } else if (purpose instanceof NewChild r && m.exchange() == Ike.CREATE_CHILD_SA && state == State.ESTABLISHED) {
                newChildResponse(plain, r, out);
            } else if (purpose instanceof IkeRekey r && m.exchange() == Ike.CREATE_CHILD_SA && state == State.ESTABLISHED) {
                ikeRekeyResponse(plain, r, out);
            } else if (purpose instanceof FollowUpKe r && m.exchange() == Ike.IKE_FOLLOWUP_KE && state == State.ESTABLISHED) {
                followUpResponse(plain, r, out);
            } else if (purpose instanceof ChildDelete d && m.exchange() == Ike.INFORMATIONAL) {
                for (Child c : d.gone) {
                    if (children.remove(c.outboundSpi) != null) {
                        out.add(new IkeAction.ChildSaDeleted(c.inboundSpi)); // the peer confirmed (or already had deleted it)
                    }
                }
            } else if (m.exchange() == Ike.INFORMATIONAL && state == State.CLOSED) {
                out.add(new IkeAction.Closed("deleted by us"));
            } // an INFORMATIONAL response while ESTABLISHED: the peer is alive (lastHeardNanos moved)
            return;
        }
        if ((m.exchange() == Ike.IKE_AUTH || m.exchange() == Ike.IKE_INTERMEDIATE) && !initiator && state == State.INIT_ANSWERED) {
            if (localPort == Ike.NAT_T_PORT) {
                natT = true;
            }
            if (m.exchange() == Ike.IKE_INTERMEDIATE) {
                intermediateRequest(plain, out);
            } else {
                authRequest(plain, raw, from, localPort, out);
            }
        } else if (m.exchange() == Ike.INFORMATIONAL) {
            informational(plain, out);
        } else if (m.exchange() == Ike.CREATE_CHILD_SA && state == State.ESTABLISHED) {
            createChildRequest(plain, out);
        } else if (m.exchange() == Ike.IKE_FOLLOWUP_KE && state == State.ESTABLISHED) {
            followUpRequest(plain, out);
        } else {
            respond(out, m.exchange(), m.messageId(), List.of(Payload.Notify.of(Ike.NO_ADDITIONAL_SAS)));
        }
    }

    // ---- initiator: IKE_SA_INIT response, IKE_AUTH ----

    private void initResponse(IkeMessage m, byte[] raw, List<IkeAction> out) {
        Optional<Payload.Notify> c = m.notify(Ike.COOKIE);
        if (c.isPresent() && cookie == null) {
            outstanding = null;
            cookie = c.get().data();
            sendInitRequest(out);
            return;
        }
        Optional<Payload.Notify> ke = m.notify(Ike.INVALID_KE_PAYLOAD);
        if (ke.isPresent()) {
            int wanted = ke.get().data().length == 2 ? ((ke.get().data()[0] & 0xff) << 8) | (ke.get().data()[1] & 0xff) : -1;
            boolean offered = config.ikeProposals().stream().anyMatch(p -> p.all(Ike.DH).stream().anyMatch(t -> t.id() == wanted));
            if (offered && keRetries++ < MAX_KE_RETRIES && wanted != dh.group()) {
                outstanding = null;
                dh = DhGroup.generate(wanted, random); // section 1.2: retry with the group the responder asked for
                sendInitRequest(out);
                return;
            }
            fail(out, IkeFailure.INVALID_KE_PAYLOAD, "the peer wants DH group " + wanted + ", which this site does not allow");
            return;
        }
        Optional<Payload.Notify> error = m.all(Payload.Notify.class).stream().filter(Payload.Notify::isError).findFirst();
        if (error.isPresent()) {
            if (error.get().notifyType() == Ike.NO_PROPOSAL_CHOSEN) {
                fail(out, IkeFailure.NO_PROPOSAL_CHOSEN, "the peer accepts none of this site's IKE proposals " + config.ikeProposals()
                        + (config.ikeProposals().stream().allMatch(Proposals::hybrid) ? POST_QUANTUM_REQUIRED : ""));
            } else {
                fail(out, IkeFailure.PEER_ERROR, "the peer answered IKE_SA_INIT with error notify " + error.get().notifyType());
            }
            return;
        }
        Optional<Payload.SecurityAssociation> sa = m.first(Payload.SecurityAssociation.class);
        Optional<Payload.KeyExchange> kePayload = m.first(Payload.KeyExchange.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        if (sa.isEmpty() || kePayload.isEmpty() || nonce.isEmpty() || sa.get().proposals().size() != 1 || m.spiR() == 0) {
            out.add(new IkeAction.Dropped("IKE_SA_INIT response without SA, KE or nonce"));
            return;
        }
        Proposal chosen = sa.get().proposals().get(0);
        if (!Proposals.accepts(config.ikeProposals(), chosen) || chosen.dhGroup() != dh.group() || kePayload.get().group() != dh.group()) {
            fail(out, IkeFailure.NO_PROPOSAL_CHOSEN, "the peer chose " + chosen + ", which this site did not offer"
                    + (!Proposals.hybrid(chosen) && config.ikeProposals().stream().allMatch(Proposals::hybrid) ? POST_QUANTUM_REQUIRED : ""));
            return;
        }
        if (Proposals.hybrid(chosen) && m.notify(Ike.INTERMEDIATE_EXCHANGE_SUPPORTED).isEmpty()) {
            fail(out, IkeFailure.PEER_ERROR, "the peer chose the hybrid " + chosen + " without INTERMEDIATE_EXCHANGE_SUPPORTED (RFC 9370 needs it)");
            return;
        }
        Optional<byte[]> gir = dh.agree(kePayload.get().data());
        if (gir.isEmpty()) {
            fail(out, IkeFailure.INVALID_DH_VALUE, "the peer's DH public value is invalid for group " + dh.group());
            return;
        }
        outstanding = null;
        spiR = m.spiR();
        nr = nonce.get().data();
        secondMessage = raw;
        ikeProposal = chosen;
        keys = IkeKeys.derive(chosen, ni, nr, gir.get(), spiI, spiR, random);
        Arrays.fill(gir.get(), (byte) 0);
        boolean nat = natDetected(m, config.local(), remote); // always: it also notes whether we are behind a NAT
        natT = config.forceEncap() || nat;
        peerHashes = IkeAuth.peerHashes(m);
        peerFragments = m.notify(Ike.IKEV2_FRAGMENTATION_SUPPORTED).isPresent();
        pendingAdditional.clear();
        pendingAdditional.addAll(additionalMethods(chosen));
        if (!pendingAdditional.isEmpty()) {
            state = State.INIT_ANSWERED; // IKE_INTERMEDIATE exchanges first (RFC 9370 section 2.2.2)
            sendIntermediate(out);
            return;
        }
        sendAuthRequest(out);
    }

    /** The additional key exchange methods of a selected proposal, in the order of their transform types (RFC 9370). */
    private static List<Integer> additionalMethods(Proposal chosen) {
        return chosen.transforms().stream().filter(t -> Ike.additionalKe(t.type()) && t.id() != 0)
                .sorted(java.util.Comparator.comparingInt(Transform::type)).map(Transform::id).toList();
    }

    /** Our IKE_INTERMEDIATE request {@code [ SK { KEi(n) } ]} for the next additional key exchange. */
    private void sendIntermediate(List<IkeAction> out) {
        int method = pendingAdditional.get(0);
        DhGroup.Exchange exchange = DhGroup.generate(method, random);
        long id = nextRequestId++;
        IkeMessage request = new IkeMessage(spiI, spiR, Ike.IKE_INTERMEDIATE, Ike.FLAG_INITIATOR, id,
                List.of(new Payload.KeyExchange(method, exchange.publicValue())));
        intAuthI = keys.intAuth(true, intAuthI, request.intermediateOctets()); // with the SK_pi that protects it
        sendRequest(out, id, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT, seal(request), new Intermediate(exchange));
    }

    private void intermediateResponse(IkeMessage m, Intermediate r, List<IkeAction> out) {
        int method = r.exchange.group();
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        if (ke.isEmpty() || ke.get().group() != method) {
            Optional<Payload.Notify> error = m.all(Payload.Notify.class).stream().filter(Payload.Notify::isError).findFirst();
            fail(out, IkeFailure.PEER_ERROR, "the peer answered the additional key exchange " + Transform.keyExchangeName(method)
                    + " (IKE_INTERMEDIATE) " + error.map(e -> "with error notify " + e.notifyType()).orElse("without its KE"));
            return;
        }
        intAuthR = keys.intAuth(false, intAuthR, m.intermediateOctets());
        Optional<byte[]> secret = r.exchange.agree(ke.get().data());
        if (secret.isEmpty()) {
            fail(out, IkeFailure.INVALID_DH_VALUE, "the peer's " + Transform.keyExchangeName(method) + " value is invalid ("
                    + ke.get().data().length + " bytes)");
            return;
        }
        keys = keys.rekeyed(ikeProposal, ni, nr, secret.get(), spiI, spiR, random); // RFC 9370 section 2.2.2: the key update
        Arrays.fill(secret.get(), (byte) 0);
        pendingAdditional.removeFirst();
        if (!pendingAdditional.isEmpty()) {
            sendIntermediate(out);
        } else {
            sendAuthRequest(out);
        }
    }

    private void sendAuthRequest(List<IkeAction> out) {
        if (intAuthI.length > 0) {
            keys = keys.coveringIntermediate(intAuthI, intAuthR, nextRequestId);
        }
        inboundChildSpi = random.nextInt() | 0x100; // never a reserved SPI (1..255) or zero
        List<Payload> p = new ArrayList<>();
        Payload.Identification idi = config.localId().payload(true);
        p.add(idi);
        p.addAll(authenticator.certificates());
        if (initialContact.getAsBoolean()) {
            p.add(Payload.Notify.of(Ike.INITIAL_CONTACT));
        }
        config.certificates().ifPresent(certs -> p.add(new Payload.CertRequest(Ike.CERT_X509_SIGNATURE, certs.authorityHashes())));
        p.add(config.remoteId().payload(false));
        SignatureAuth.Result auth = authenticator.ours(keys, peerHashes, firstMessage, nr, true, idi);
        if (auth instanceof SignatureAuth.Result.Refused r) {
            fail(out, IkeFailure.AUTHENTICATION_FAILED, r.why());
            return;
        }
        p.add(((SignatureAuth.Result.Signed) auth).auth());
        p.add(new Payload.SecurityAssociation(withSpi(withoutDh(config.espProposals()), inboundChildSpi)));
        p.add(new Payload.TrafficSelectors(true, config.localSelectors()));
        p.add(new Payload.TrafficSelectors(false, config.remoteSelectors()));
        state = State.AUTH_SENT;
        long id = nextRequestId++;
        sendRequest(out, id, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT, seal(new IkeMessage(spiI, spiR, Ike.IKE_AUTH, Ike.FLAG_INITIATOR, id, p)));
    }

    private void authResponse(IkeMessage m, List<IkeAction> out) {
        if (m.notify(Ike.AUTHENTICATION_FAILED).isPresent()) {
            fail(out, IkeFailure.AUTHENTICATION_FAILED, authenticator.refusedByPeer());
            return;
        }
        Optional<Payload.Identification> idr = m.id(false);
        Optional<Payload.Authentication> auth = m.first(Payload.Authentication.class);
        if (idr.isEmpty() || auth.isEmpty()) {
            Optional<Payload.Notify> error = m.all(Payload.Notify.class).stream().filter(Payload.Notify::isError).findFirst();
            fail(out, IkeFailure.PEER_ERROR, "IKE_AUTH response without IDr or AUTH"
                    + error.map(n -> " (error notify " + n.notifyType() + ")").orElse(""));
            return;
        }
        Optional<IkeAction.Failed> refused = authenticator.verifyPeer(keys, peerHashes, clock.now(), m, idr.get(), auth.get(), secondMessage, ni, false);
        peerCertificates = refused.isEmpty() ? IkeAuth.peerCertificates(m) : List.of();
        if (refused.isPresent()) {
            fail(out, refused.get().reason(), refused.get().detail());
            // section 2.21.2: tell the responder, which already counts the IKE SA as up, in an INFORMATIONAL of its own
            long id = nextRequestId++;
            send(out, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT, seal(new IkeMessage(spiI, spiR, Ike.INFORMATIONAL, Ike.FLAG_INITIATOR, id,
                    List.of(Payload.Notify.of(Ike.AUTHENTICATION_FAILED)))));
            return;
        }
        established(out);
        childFromResponse(m, out);
    }

    private void childFromResponse(IkeMessage m, List<IkeAction> out) {
        if (m.notify(Ike.TS_UNACCEPTABLE).isPresent()) {
            out.add(new IkeAction.Failed(IkeFailure.TS_UNACCEPTABLE, "the peer accepts none of this site's traffic selectors "
                    + config.localSelectors() + " === " + config.remoteSelectors()));
            return;
        }
        if (m.notify(Ike.NO_PROPOSAL_CHOSEN).isPresent()) {
            out.add(new IkeAction.Failed(IkeFailure.NO_PROPOSAL_CHOSEN, "the peer accepts none of this site's ESP proposals " + config.espProposals()));
            return;
        }
        Optional<Payload.SecurityAssociation> sa = m.first(Payload.SecurityAssociation.class);
        Optional<Payload.TrafficSelectors> tsi = m.selectors(true), tsr = m.selectors(false);
        if (sa.isEmpty() || tsi.isEmpty() || tsr.isEmpty() || sa.get().proposals().size() != 1) {
            out.add(new IkeAction.Failed(IkeFailure.PEER_ERROR, "IKE_AUTH response without a CHILD SA"));
            return;
        }
        Proposal chosen = sa.get().proposals().get(0);
        if (!Proposals.accepts(withoutDh(config.espProposals()), chosen) || chosen.spi().length != 4) {
            out.add(new IkeAction.Failed(IkeFailure.NO_PROPOSAL_CHOSEN, "the peer chose " + chosen + ", which this site did not offer"));
            return;
        }
        if (!TrafficSelector.allWithin(tsi.get().selectors(), config.localSelectors())
                || !TrafficSelector.allWithin(tsr.get().selectors(), config.remoteSelectors())) {
            out.add(new IkeAction.Failed(IkeFailure.TS_UNACCEPTABLE, "the peer narrowed to " + tsi.get().selectors() + " === "
                    + tsr.get().selectors() + ", outside this site's " + config.localSelectors() + " === " + config.remoteSelectors()));
            return;
        }
        install(chosen, tsi.get().selectors(), tsr.get().selectors(), new byte[0], ni, nr, out);
    }

    // ---- responder: IKE_SA_INIT request, IKE_AUTH ----

    private void initRequest(IkeMessage m, byte[] raw, InetSocketAddress from, int localPort, List<IkeAction> out) {
        if (state == State.INIT_ANSWERED && firstMessage != null && Arrays.equals(raw, firstMessage)) {
            send(out, Ike.IKE_PORT, List.of(secondMessage)); // a retransmitted IKE_SA_INIT request
            return;
        }
        if (state != State.IDLE && state != State.INIT_ANSWERED && state != State.FAILED) {
            out.add(new IkeAction.Dropped("IKE_SA_INIT request while an IKE SA is " + state));
            return;
        }
        Optional<Payload.SecurityAssociation> sa = m.first(Payload.SecurityAssociation.class);
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        if (sa.isEmpty() || ke.isEmpty() || nonce.isEmpty() || m.messageId() != 0) {
            out.add(new IkeAction.Dropped("IKE_SA_INIT request without SA, KE or nonce"));
            return;
        }
        InetSocketAddress to = new InetSocketAddress(from.getAddress(), from.getPort());
        Optional<Proposal> chosen = Proposals.select(sa.get().proposals(), config.ikeProposals());
        if (chosen.isEmpty()) {
            sendPlain(out, localPort, to, new IkeMessage(m.spiI(), 0, Ike.IKE_SA_INIT, Ike.FLAG_RESPONSE, 0,
                    List.of(Payload.Notify.of(Ike.NO_PROPOSAL_CHOSEN))));
            out.add(new IkeAction.Failed(IkeFailure.NO_PROPOSAL_CHOSEN, "the peer offers " + sa.get().proposals()
                    + ", this site allows " + config.ikeProposals()
                    + (sa.get().proposals().stream().noneMatch(Proposals::hybrid) && config.ikeProposals().stream().allMatch(Proposals::hybrid)
                    ? POST_QUANTUM_REQUIRED : "")));
            return;
        }
        if (chosen.isPresent() && Proposals.hybrid(chosen.get()) && m.notify(Ike.INTERMEDIATE_EXCHANGE_SUPPORTED).isEmpty()) {
            // no IKE_INTERMEDIATE, no additional key exchange (RFC 9370 section 2.2.1): a classical proposal of ours, if any
            chosen = Proposals.select(sa.get().proposals(), config.ikeProposals().stream().filter(x -> !Proposals.hybrid(x)).toList());
            if (chosen.isEmpty()) {
                sendPlain(out, localPort, to, new IkeMessage(m.spiI(), 0, Ike.IKE_SA_INIT, Ike.FLAG_RESPONSE, 0,
                        List.of(Payload.Notify.of(Ike.NO_PROPOSAL_CHOSEN))));
                out.add(new IkeAction.Failed(IkeFailure.NO_PROPOSAL_CHOSEN, "the peer offers " + sa.get().proposals()
                        + " without INTERMEDIATE_EXCHANGE_SUPPORTED, so no additional key exchange" + POST_QUANTUM_REQUIRED));
                return;
            }
        }
        int group = chosen.get().dhGroup();
        if (ke.get().group() != group) {
            sendPlain(out, localPort, to, new IkeMessage(m.spiI(), 0, Ike.IKE_SA_INIT, Ike.FLAG_RESPONSE, 0,
                    List.of(Payload.Notify.of(Ike.INVALID_KE_PAYLOAD, new byte[] {(byte) (group >>> 8), (byte) group}))));
            return; // section 1.2: the initiator retries with this group; no state kept
        }
        DhGroup.Exchange ours = DhGroup.generate(group, random);
        Optional<byte[]> gir = ours.agree(ke.get().data());
        if (gir.isEmpty()) {
            out.add(new IkeAction.Dropped("invalid DH public value for group " + group));
            return;
        }
        initiator = false;
        remote = to;
        spiI = m.spiI();
        spiR = nonZeroSpi();
        dh = ours;
        ni = nonce.get().data();
        nr = randomBytes(32);
        ikeProposal = chosen.get();
        keys = IkeKeys.derive(ikeProposal, ni, nr, gir.get(), spiI, spiR, random);
        Arrays.fill(gir.get(), (byte) 0);
        boolean nat = natDetected(m, config.local(), remote); // always: it also notes whether we are behind a NAT
        natT = config.forceEncap() || nat;
        peerHashes = IkeAuth.peerHashes(m);
        peerFragments = m.notify(Ike.IKEV2_FRAGMENTATION_SUPPORTED).isPresent();
        peerIntermediate = m.notify(Ike.INTERMEDIATE_EXCHANGE_SUPPORTED).isPresent();
        pendingAdditional.clear();
        pendingAdditional.addAll(additionalMethods(ikeProposal));
        intAuthI = new byte[0];
        intAuthR = new byte[0];
        List<Payload> p = new ArrayList<>();
        p.add(new Payload.SecurityAssociation(List.of(ikeProposal)));
        p.add(new Payload.KeyExchange(group, dh.publicValue()));
        p.add(new Payload.Nonce(nr));
        p.addAll(natdNotifies(spiI, spiR, config.local(), remote));
        if (config.fragmentation() && peerFragments) {
            p.add(Payload.Notify.of(Ike.IKEV2_FRAGMENTATION_SUPPORTED)); // RFC 7383 section 2.3: only in answer to the initiator's
        }
        config.certificates().ifPresent(c -> {
            p.add(new Payload.CertRequest(Ike.CERT_X509_SIGNATURE, c.authorityHashes()));
            p.add(Payload.Notify.of(Ike.SIGNATURE_HASH_ALGORITHMS, SignatureAuth.hashesNotifyData()));
        });
        if (peerIntermediate) {
            p.add(Payload.Notify.of(Ike.INTERMEDIATE_EXCHANGE_SUPPORTED));
        }
        firstMessage = raw;
        secondMessage = new IkeMessage(spiI, spiR, Ike.IKE_SA_INIT, Ike.FLAG_RESPONSE, 0, p).encode();
        expectedPeerRequestId = 1;
        nextRequestId = 0;
        state = State.INIT_ANSWERED;
        send(out, Ike.IKE_PORT, List.of(secondMessage));
    }

    /**
     * The site the initiator's ID names becomes this session's ({@link #chooseByIdentity}), before its AUTH is checked
     * with that site's key or CAs. False (answered and failed) when no site expects that ID, or the one that does
     * would not have accepted the IKE proposal IKE_SA_INIT settled on.
     */
    private boolean chooseConfig(IkeId peer, long messageId, List<IkeAction> out) {
        IdentityChoice choice = identityChoice;
        identityChoice = null; // once: a retransmitted request is answered from the cache
        if (peer.sameAs(config.remoteId())) {
            siteUnknown = false;
            return true;
        }
        Optional<IkeConfig> chosen = choice.configFor(peer);
        if (chosen.isEmpty()) {
            respond(out, Ike.IKE_AUTH, messageId, List.of(Payload.Notify.of(Ike.AUTHENTICATION_FAILED)));
            fail(out, IkeFailure.ID_MISMATCH, "the peer identifies as " + peer + ", which no site without an endpoint expects ("
                    + choice.expected() + ")");
            return false;
        }
        if (!Proposals.accepts(chosen.get().ikeProposals(), ikeProposal)) { // the site file's check rules this out
            respond(out, Ike.IKE_AUTH, messageId, List.of(Payload.Notify.of(Ike.AUTHENTICATION_FAILED)));
            fail(out, IkeFailure.NO_PROPOSAL_CHOSEN, "the peer identifies as " + peer + ", whose site does not allow the IKE "
                    + "proposal " + ikeProposal + " agreed in IKE_SA_INIT; sites without an endpoint need the same ike_proposals");
            return false;
        }
        config = chosen.get();
        authenticator = new IkeAuth(config);
        identityChose = true;
        siteUnknown = false;
        return true;
    }

    /**
     * True once after the initiator's ID made another site's configuration this session's ({@link #chooseByIdentity}):
     * the caller then files the session under that site.
     */
    public boolean takeIdentityChoice() {
        boolean chose = identityChose;
        identityChose = false;
        return chose;
    }

    /** The initiator's IKE_INTERMEDIATE request: its half of the next additional key exchange, answered with ours. */
    private void intermediateRequest(IkeMessage m, List<IkeAction> out) {
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        if (pendingAdditional.isEmpty() || ke.isEmpty() || ke.get().group() != pendingAdditional.get(0)) {
            respond(out, Ike.IKE_INTERMEDIATE, m.messageId(), List.of(Payload.Notify.of(Ike.INVALID_SYNTAX)));
            fail(out, IkeFailure.PEER_ERROR, "IKE_INTERMEDIATE request " + (pendingAdditional.isEmpty() ? "after all key exchanges"
                    : "without a KE of " + Transform.keyExchangeName(pendingAdditional.get(0))));
            return;
        }
        intAuthI = keys.intAuth(true, intAuthI, m.intermediateOctets());
        Optional<DhGroup.Response> ours = DhGroup.respond(ke.get().group(), ke.get().data(), random);
        if (ours.isEmpty()) {
            respond(out, Ike.IKE_INTERMEDIATE, m.messageId(), List.of(Payload.Notify.of(Ike.INVALID_SYNTAX)));
            fail(out, IkeFailure.INVALID_DH_VALUE, "the peer's " + Transform.keyExchangeName(ke.get().group()) + " value is invalid ("
                    + ke.get().data().length + " bytes)");
            return;
        }
        List<Payload> answer = List.of(new Payload.KeyExchange(ke.get().group(), ours.get().publicValue()));
        intAuthR = keys.intAuth(false, intAuthR, new IkeMessage(spiI, spiR, Ike.IKE_INTERMEDIATE, Ike.FLAG_RESPONSE, m.messageId(), answer)
                .intermediateOctets());
        respond(out, Ike.IKE_INTERMEDIATE, m.messageId(), answer); // sealed with the keys before the update
        keys = keys.rekeyed(ikeProposal, ni, nr, ours.get().secret(), spiI, spiR, random);
        Arrays.fill(ours.get().secret(), (byte) 0);
        pendingAdditional.removeFirst();
    }

    private void authRequest(IkeMessage m, byte[] raw, InetSocketAddress from, int localPort, List<IkeAction> out) {
        remote = from;
        if (!pendingAdditional.isEmpty()) {
            respond(out, Ike.IKE_AUTH, m.messageId(), List.of(Payload.Notify.of(Ike.INVALID_SYNTAX)));
            fail(out, IkeFailure.PEER_ERROR, "IKE_AUTH request before the additional key exchange " + Transform.keyExchangeName(pendingAdditional.get(0)));
            return;
        }
        if (intAuthI.length > 0) {
            keys = keys.coveringIntermediate(intAuthI, intAuthR, m.messageId());
        }
        Optional<Payload.Identification> idi = m.id(true);
        Optional<Payload.Authentication> auth = m.first(Payload.Authentication.class);
        if (idi.isEmpty() || auth.isEmpty()) {
            respond(out, Ike.IKE_AUTH, m.messageId(), List.of(Payload.Notify.of(Ike.INVALID_SYNTAX)));
            fail(out, IkeFailure.PEER_ERROR, "IKE_AUTH request without IDi or AUTH (EAP is not supported)");
            return;
        }
        if (identityChoice != null && !chooseConfig(IkeId.of(idi.get()), m.messageId(), out)) {
            return;
        }
        Optional<IkeAction.Failed> refused = authenticator.verifyPeer(keys, peerHashes, clock.now(), m, idi.get(), auth.get(), firstMessage, nr, true);
        peerCertificates = refused.isEmpty() ? IkeAuth.peerCertificates(m) : List.of();
        if (refused.isPresent()) {
            respond(out, Ike.IKE_AUTH, m.messageId(), List.of(Payload.Notify.of(Ike.AUTHENTICATION_FAILED)));
            fail(out, refused.get().reason(), refused.get().detail());
            return;
        }
        peerInitialContact = m.notify(Ike.INITIAL_CONTACT).isPresent();
        List<Payload> p = new ArrayList<>();
        Payload.Identification idr = config.localId().payload(false);
        p.add(idr);
        p.addAll(authenticator.certificates());
        SignatureAuth.Result ours = authenticator.ours(keys, peerHashes, secondMessage, ni, false, idr);
        if (ours instanceof SignatureAuth.Result.Refused r) {
            respond(out, Ike.IKE_AUTH, m.messageId(), List.of(Payload.Notify.of(Ike.AUTHENTICATION_FAILED)));
            fail(out, IkeFailure.AUTHENTICATION_FAILED, r.why());
            return;
        }
        p.add(((SignatureAuth.Result.Signed) ours).auth());
        Optional<IkeAction.Failed> childFailure = Optional.empty();
        Optional<Payload.SecurityAssociation> sa = m.first(Payload.SecurityAssociation.class);
        Optional<Payload.TrafficSelectors> tsi = m.selectors(true), tsr = m.selectors(false);
        Proposal chosen = null;
        List<TrafficSelector> narrowedI = List.of(), narrowedR = List.of();
        if (sa.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            childFailure = Optional.of(new IkeAction.Failed(IkeFailure.PEER_ERROR, "IKE_AUTH request without a CHILD SA"));
        } else {
            // the first CHILD SA never has a DH exchange: its KEYMAT comes from the IKE SA's (section 1.2)
            Optional<Proposal> selected = Proposals.select(withoutDh(sa.get().proposals()), withoutDh(config.espProposals()))
                    .filter(x -> x.spi().length == 4);
            // the peer's TSi are its side (our remote), its TSr ours (section 2.9)
            narrowedI = TrafficSelector.narrow(tsi.get().selectors(), config.remoteSelectors());
            narrowedR = TrafficSelector.narrow(tsr.get().selectors(), config.localSelectors());
            if (selected.isEmpty()) {
                p.add(Payload.Notify.of(Ike.NO_PROPOSAL_CHOSEN));
                childFailure = Optional.of(new IkeAction.Failed(IkeFailure.NO_PROPOSAL_CHOSEN, "the peer offers ESP "
                        + sa.get().proposals() + ", this site allows " + config.espProposals() + Proposals.esnHint(sa.get().proposals())));
            } else if (narrowedI.isEmpty() || narrowedR.isEmpty()) {
                p.add(Payload.Notify.of(Ike.TS_UNACCEPTABLE));
                childFailure = Optional.of(new IkeAction.Failed(IkeFailure.TS_UNACCEPTABLE, "the peer proposes " + tsi.get().selectors()
                        + " === " + tsr.get().selectors() + ", this site allows " + config.remoteSelectors() + " === " + config.localSelectors()));
            } else {
                inboundChildSpi = random.nextInt() | 0x100;
                chosen = selected.get();
                p.add(new Payload.SecurityAssociation(List.of(chosen.withNumberAndSpi(chosen.number(), spiBytes(inboundChildSpi)))));
                p.add(new Payload.TrafficSelectors(true, narrowedI));
                p.add(new Payload.TrafficSelectors(false, narrowedR));
            }
        }
        respond(out, Ike.IKE_AUTH, m.messageId(), p);
        established(out);
        childFailure.ifPresent(out::add);
        if (chosen != null) {
            install(chosen, narrowedR, narrowedI, new byte[0], ni, nr, out);
        }
    }

    // ---- established: CREATE_CHILD_SA as responder (a CHILD SA rekeyed or added, with or without PFS) ----

    private void createChildRequest(IkeMessage m, List<IkeAction> out) {
        Optional<Payload.SecurityAssociation> sa = m.first(Payload.SecurityAssociation.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        Optional<Payload.TrafficSelectors> tsi = m.selectors(true), tsr = m.selectors(false);
        if (sa.isPresent() && nonce.isPresent() && !sa.get().proposals().isEmpty()
                && sa.get().proposals().stream().allMatch(p -> p.protocol() == Ike.PROTO_IKE) && tsi.isEmpty() && tsr.isEmpty()) {
            ikeRekeyRequest(m, sa.get(), nonce.get().data(), out);
            return;
        }
        if (sa.isEmpty() || nonce.isEmpty() || sa.get().proposals().stream().anyMatch(p -> p.protocol() == Ike.PROTO_IKE)
                || tsi.isEmpty() || tsr.isEmpty()) {
            respond(out, Ike.CREATE_CHILD_SA, m.messageId(), List.of(Payload.Notify.of(Ike.NO_ADDITIONAL_SAS)));
            return;
        }
        Optional<Proposal> selected = Proposals.select(sa.get().proposals(), config.espProposals()).filter(x -> x.spi().length == 4);
        if (selected.isEmpty()) {
            respond(out, Ike.CREATE_CHILD_SA, m.messageId(), List.of(Payload.Notify.of(Ike.NO_PROPOSAL_CHOSEN)));
            out.add(new IkeAction.Failed(IkeFailure.NO_PROPOSAL_CHOSEN, "the peer offers ESP " + sa.get().proposals()
                    + " in CREATE_CHILD_SA, this site allows " + config.espProposals() + Proposals.esnHint(sa.get().proposals())));
            return;
        }
        int group = selected.get().dhGroup();
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        if (group != 0 && (ke.isEmpty() || ke.get().group() != group)) {
            respond(out, Ike.CREATE_CHILD_SA, m.messageId(),
                    List.of(Payload.Notify.of(Ike.INVALID_KE_PAYLOAD, new byte[] {(byte) (group >>> 8), (byte) group})));
            return;
        }
        List<TrafficSelector> narrowedI = TrafficSelector.narrow(tsi.get().selectors(), config.remoteSelectors());
        List<TrafficSelector> narrowedR = TrafficSelector.narrow(tsr.get().selectors(), config.localSelectors());
        if (narrowedI.isEmpty() || narrowedR.isEmpty()) {
            respond(out, Ike.CREATE_CHILD_SA, m.messageId(), List.of(Payload.Notify.of(Ike.TS_UNACCEPTABLE)));
            return;
        }
        byte[] gir = new byte[0];
        List<Payload> p = new ArrayList<>();
        byte[] ourNonce = randomBytes(32);
        // REKEY_SA names the SA being rekeyed by the SPI the peer receives on, our outbound (section 1.3.3): it is
        // replaced now, and the peer, which started the rekey, deletes it; our timer leaves it alone
        Optional<Payload.Notify> rekeySa = m.all(Payload.Notify.class).stream()
                .filter(n -> n.notifyType() == Ike.REKEY_SA && n.protocol() == Ike.PROTO_ESP && n.spi().length == 4).findFirst();
        Optional<Child> rekeyed = rekeySa.map(n -> children.get(toInt(n.spi())));
        if (rekeySa.isPresent() && rekeyed.isEmpty()) {
            // section 2.25: the SA to rekey is gone (our Delete of it crossed this request)
            respond(out, Ike.CREATE_CHILD_SA, m.messageId(), List.of(new Payload.Notify(Ike.PROTO_ESP, rekeySa.get().spi(), Ike.CHILD_SA_NOT_FOUND, new byte[0])));
            return;
        }
        if (rekeyed.isPresent() && outstanding != null && outstanding.purpose instanceof ChildRekey ours && ours.old == rekeyed.get()) {
            // section 2.8.1: we are rekeying it too; whose new SA stays is decided by the lowest nonce once ours completes
            rekeyed.get().collisionNonce = lower(nonce.get().data(), ourNonce);
        }
        inboundChildSpi = random.nextInt() | 0x100;
        Proposal chosen = selected.get();
        p.add(new Payload.SecurityAssociation(List.of(chosen.withNumberAndSpi(chosen.number(), spiBytes(inboundChildSpi)))));
        p.add(new Payload.Nonce(ourNonce));
        if (group != 0) {
            DhGroup.Exchange pfs = DhGroup.generate(group, random);
            Optional<byte[]> shared = pfs.agree(ke.get().data());
            if (shared.isEmpty()) {
                respond(out, Ike.CREATE_CHILD_SA, m.messageId(), List.of(Payload.Notify.of(Ike.INVALID_SYNTAX)));
                return;
            }
            gir = shared.get();
            p.add(new Payload.KeyExchange(group, pfs.publicValue()));
        }
        p.add(new Payload.TrafficSelectors(true, narrowedI));
        p.add(new Payload.TrafficSelectors(false, narrowedR));
        List<Integer> additional = additionalMethods(chosen);
        byte[] peerNonce = nonce.get().data(), sharedGir = gir;
        int newInbound = inboundChildSpi;
        java.util.function.BiConsumer<byte[], List<IkeAction>> complete = (extra, o) -> {
            // the peer sent Ni, we Nr: it initiated this exchange, whatever its IKE SA role, so its keys come first (section 2.17)
            inboundChildSpi = newInbound;
            // the peer installs it when our answer arrives: we send on it once the peer deletes the one it replaces
            // (section 2.8); ESP from the peer that crosses our answer still opens under the old one
            Child made = install(chosen, narrowedR, narrowedI, sharedGir, peerNonce, ourNonce, false, extra,
                    IkeAction.Outbound.WHEN_PEER_READY, o);
            Arrays.fill(sharedGir, (byte) 0);
            rekeyed.ifPresent(c -> {
                c.replaced = true;
                made.awaitsDeleteOf = c;
            });
        };
        if (!additional.isEmpty()) {
            byte[] link = randomBytes(8);
            p.add(Payload.Notify.of(Ike.ADDITIONAL_KEY_EXCHANGE, link));
            respond(out, Ike.CREATE_CHILD_SA, m.messageId(), p);
            peerFollowUp = new FollowUp(additional, link, complete, (why, o) -> { });
            peerFollowUp.rekeys = rekeyed.orElse(null);
            return;
        }
        respond(out, Ike.CREATE_CHILD_SA, m.messageId(), p);
        complete.accept(new byte[0], out);
    }

    /** The peer's IKE_FOLLOWUP_KE request {@code [ KEi(n) N(ADDITIONAL_KEY_EXCHANGE) ]}: answered with our KE (RFC 9370 section 2.2.4). */
    private void followUpRequest(IkeMessage m, List<IkeAction> out) {
        FollowUp f = peerFollowUp;
        Optional<Payload.Notify> link = m.notify(Ike.ADDITIONAL_KEY_EXCHANGE);
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        if (f == null || link.isEmpty() || !MessageDigest.isEqual(link.get().data(), f.link)) {
            respond(out, Ike.IKE_FOLLOWUP_KE, m.messageId(), List.of(Payload.Notify.of(STATE_NOT_FOUND)));
            return;
        }
        int method = f.methods.get(0);
        Optional<DhGroup.Response> ours = ke.isPresent() && ke.get().group() == method
                ? DhGroup.respond(method, ke.get().data(), random) : Optional.empty();
        if (ours.isEmpty()) {
            peerFollowUp = null;
            respond(out, Ike.IKE_FOLLOWUP_KE, m.messageId(), List.of(Payload.Notify.of(Ike.INVALID_SYNTAX)));
            out.add(new IkeAction.Failed(IkeFailure.INVALID_DH_VALUE, "the peer's additional key exchange "
                    + Transform.keyExchangeName(method) + " (IKE_FOLLOWUP_KE) has no valid KE: the CHILD SA or IKE SA it rekeys stays"));
            return;
        }
        f.secrets.writeBytes(ours.get().secret());
        f.methods.removeFirst();
        List<Payload> p = new ArrayList<>();
        p.add(new Payload.KeyExchange(method, ours.get().publicValue()));
        if (!f.methods.isEmpty()) {
            f.link = randomBytes(8);
            p.add(Payload.Notify.of(Ike.ADDITIONAL_KEY_EXCHANGE, f.link));
        }
        respond(out, Ike.IKE_FOLLOWUP_KE, m.messageId(), p);
        if (f.methods.isEmpty()) {
            peerFollowUp = null;
            byte[] extra = f.secrets.toByteArray();
            f.complete.accept(extra, out);
            Arrays.fill(extra, (byte) 0);
        }
    }

    /** Our IKE_FOLLOWUP_KE request for the next additional key exchange of {@code f}. */
    private void sendFollowUp(FollowUp f, List<IkeAction> out) {
        int method = f.methods.get(0);
        DhGroup.Exchange exchange = DhGroup.generate(method, random);
        long id = nextRequestId++;
        sendRequest(out, id, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT, seal(new IkeMessage(spiI, spiR, Ike.IKE_FOLLOWUP_KE,
                initiator ? Ike.FLAG_INITIATOR : 0, id, List.of(new Payload.KeyExchange(method, exchange.publicValue()),
                Payload.Notify.of(Ike.ADDITIONAL_KEY_EXCHANGE, f.link)))), new FollowUpKe(f, exchange));
    }

    private void followUpResponse(IkeMessage m, FollowUpKe r, List<IkeAction> out) {
        FollowUp f = r.followUp;
        int method = r.exchange.group();
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        Optional<byte[]> secret = ke.isPresent() && ke.get().group() == method ? r.exchange.agree(ke.get().data()) : Optional.empty();
        if (secret.isEmpty()) {
            Optional<Payload.Notify> error = m.all(Payload.Notify.class).stream().filter(Payload.Notify::isError).findFirst();
            f.failed.accept("the peer answered the additional key exchange " + Transform.keyExchangeName(method) + " (IKE_FOLLOWUP_KE) "
                    + error.map(e -> "with error notify " + e.notifyType()).orElse(ke.isEmpty() ? "without a KE" : "with an invalid KE"), out);
            return;
        }
        f.secrets.writeBytes(secret.get());
        Arrays.fill(secret.get(), (byte) 0);
        f.methods.removeFirst();
        if (!f.methods.isEmpty()) {
            Optional<Payload.Notify> link = m.notify(Ike.ADDITIONAL_KEY_EXCHANGE);
            if (link.isEmpty()) {
                f.failed.accept("the peer's IKE_FOLLOWUP_KE response has no ADDITIONAL_KEY_EXCHANGE for the next exchange", out);
                return;
            }
            f.link = link.get().data();
            sendFollowUp(f, out);
            return;
        }
        byte[] extra = f.secrets.toByteArray();
        f.complete.accept(extra, out);
        Arrays.fill(extra, (byte) 0);
    }

    // ---- established: rekeying the IKE SA (RFC 7296 section 2.18), either side ----

    /** Sends {@code [ SA No KE ]}: the site's IKE proposals with our SPI of the new SA, a new nonce, a KE of the current group. */
    private void startIkeRekey(int group, boolean keRetried, List<IkeAction> out) {
        long spi = nonZeroSpi();
        byte[] nonce = randomBytes(32);
        DhGroup.Exchange exchange = DhGroup.generate(group, random);
        List<Payload> p = List.of(new Payload.SecurityAssociation(config.ikeProposals().stream()
                        .map(x -> x.withNumberAndSpi(x.number(), longBytes(spi))).toList()),
                new Payload.Nonce(nonce), new Payload.KeyExchange(group, exchange.publicValue()));
        long id = nextRequestId++;
        sendRequest(out, id, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT,
                seal(new IkeMessage(spiI, spiR, Ike.CREATE_CHILD_SA, initiator ? Ike.FLAG_INITIATOR : 0, id, p)),
                new IkeRekey(spi, nonce, exchange, keRetried));
    }

    private void ikeRekeyResponse(IkeMessage m, IkeRekey r, List<IkeAction> out) {
        Candidate theirs = peerRekey;
        peerRekey = null;
        if (!ourIkeRekeyDone(m, r, theirs, out) && theirs != null) {
            outstanding = null; // our rekey failed (or would retry), but we answered the peer's: that one stands
            replaceIkeSa(false, theirs.spiI, theirs.spiR, theirs.proposal, theirs.keys, out);
        }
    }

    /** Whether our IKE SA rekey completed (and settled a collision with {@code theirs}); false when it failed or is retried. */
    private boolean ourIkeRekeyDone(IkeMessage m, IkeRekey r, Candidate theirs, List<IkeAction> out) {
        Optional<Payload.Notify> invalidKe = m.notify(Ike.INVALID_KE_PAYLOAD);
        if (invalidKe.isPresent() && !r.keRetried && invalidKe.get().data().length == 2 && theirs == null) {
            int wanted = ((invalidKe.get().data()[0] & 0xff) << 8) | (invalidKe.get().data()[1] & 0xff);
            if (config.ikeProposals().stream().anyMatch(x -> x.all(Ike.DH).stream().anyMatch(t -> t.id() == wanted))) {
                startIkeRekey(wanted, true, out);
                return false;
            }
        }
        Optional<Payload.Notify> error = m.all(Payload.Notify.class).stream().filter(Payload.Notify::isError).findFirst();
        Optional<Payload.SecurityAssociation> sa = m.first(Payload.SecurityAssociation.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        ikeRekeyAt = clock.nanoTime() + REKEY_RETRY.toNanos(); // unless it works below: the old IKE SA stays, retried
        if (error.isPresent() || sa.isEmpty() || nonce.isEmpty() || ke.isEmpty() || sa.get().proposals().size() != 1) {
            if (error.isEmpty() || error.get().notifyType() != Ike.TEMPORARY_FAILURE) {
                out.add(new IkeAction.Failed(error.isPresent() && error.get().notifyType() == Ike.NO_PROPOSAL_CHOSEN
                        ? IkeFailure.NO_PROPOSAL_CHOSEN : IkeFailure.PEER_ERROR, "rekeying the IKE SA: the peer answered "
                        + error.map(e -> "with error notify " + e.notifyType()).orElse("without SA, nonce or KE")
                        + "; the old IKE SA stays, retried in " + REKEY_RETRY.toSeconds() + " s"));
            }
            return false;
        }
        Proposal chosen = sa.get().proposals().get(0);
        if (!Proposals.accepts(config.ikeProposals(), chosen) || chosen.spi().length != 8 || chosen.dhGroup() != r.dh.group()
                || ke.get().group() != r.dh.group() || toLong(chosen.spi()) == 0) {
            out.add(new IkeAction.Failed(IkeFailure.NO_PROPOSAL_CHOSEN, "rekeying the IKE SA: the peer chose " + chosen
                    + ", which this site did not offer"));
            return false;
        }
        Optional<byte[]> gir = r.dh.agree(ke.get().data());
        if (gir.isEmpty()) {
            out.add(new IkeAction.Failed(IkeFailure.INVALID_DH_VALUE, "rekeying the IKE SA: the peer's DH public value is invalid"));
            return false;
        }
        // we sent the request: we are the new IKE SA's initiator, whatever we were (section 2.18)
        long newSpiR = toLong(chosen.spi());
        List<Integer> additional = additionalMethods(chosen);
        if (!additional.isEmpty() && theirs == null) {
            Optional<Payload.Notify> link = m.notify(Ike.ADDITIONAL_KEY_EXCHANGE);
            if (link.isEmpty()) {
                out.add(new IkeAction.Failed(IkeFailure.PEER_ERROR, "rekeying the IKE SA: the peer chose " + chosen
                        + " without ADDITIONAL_KEY_EXCHANGE (RFC 9370); the old IKE SA stays, retried in " + REKEY_RETRY.toSeconds() + " s"));
                return false;
            }
            byte[] sharedGir = gir.get(), peerNonce = nonce.get().data();
            sendFollowUp(new FollowUp(additional, link.get().data(), (extra, o) -> {
                IkeKeys newKeys = keys.rekeyed(chosen, r.nonce, peerNonce, sharedGir, extra, r.newSpi, newSpiR, random);
                Arrays.fill(sharedGir, (byte) 0);
                deleteRetired(replaceIkeSa(true, r.newSpi, newSpiR, chosen, newKeys, o), o);
            }, (why, o) -> o.add(new IkeAction.Failed(IkeFailure.PEER_ERROR, "rekeying the IKE SA: " + why + "; the old IKE SA stays, retried in "
                    + REKEY_RETRY.toSeconds() + " s"))), out);
            return true;
        }
        if (!additional.isEmpty()) {
            // both rekeyed at once (section 2.8.2) with additional key exchanges: ours is given up, the peer's stands
            out.add(new IkeAction.Failed(IkeFailure.PEER_ERROR, "rekeying the IKE SA: crossed the peer's rekey; the peer's goes on"));
            return false;
        }
        IkeKeys newKeys = keys.rekeyed(chosen, r.nonce, nonce.get().data(), gir.get(), r.newSpi, newSpiR, random);
        Arrays.fill(gir.get(), (byte) 0);
        if (theirs != null && Arrays.compareUnsigned(lower(r.nonce, nonce.get().data()), theirs.lowestNonce) < 0) {
            // section 2.8.2: both rekeyed at once and the lowest nonce is in our exchange: our new SA is redundant; we
            // delete it, the peer's goes on (the peer, which made it, deletes the old one)
            replaceIkeSa(false, theirs.spiI, theirs.spiR, theirs.proposal, theirs.keys, out);
            Retired redundant = new Retired(r.newSpi, newSpiR, newKeys, true, 0, 0, null, null);
            retire(redundant);
            deleteRetired(redundant, out);
            return true;
        }
        Retired old = replaceIkeSa(true, r.newSpi, newSpiR, chosen, newKeys, out);
        if (theirs != null) {
            // the peer's new SA is the redundant one: it deletes it, we answer on it
            retire(new Retired(theirs.spiI, theirs.spiR, theirs.keys, false, 0, 0, null, null));
        }
        deleteRetired(old, out); // the old IKE SA is deleted on itself (the CHILD SAs live on under the new one)
        return true;
    }

    private void retire(Retired old) {
        retired.add(old);
        while (retired.size() > MAX_RETIRED) {
            retired.removeFirst();
        }
    }

    /**
     * An INFORMATIONAL [ D ] of the IKE SA on that SA, retransmitted by {@link #tick} until the peer answers it (a peer
     * that never sees it would keep the SA until it expires).
     */
    private void deleteRetired(Retired old, List<IkeAction> out) {
        int port = natT ? Ike.NAT_T_PORT : Ike.IKE_PORT;
        List<byte[]> msg = seal(new IkeMessage(old.spiI, old.spiR, Ike.INFORMATIONAL,
                old.initiator ? Ike.FLAG_INITIATOR : 0, old.nextRequestId, List.of(new Payload.Delete(Ike.PROTO_IKE, 0, List.of()))),
                old.keys, old.initiator);
        deletesInFlight.add(new DeleteInFlight(old, msg, port, clock.nanoTime() + config.retransmitTimeout().toNanos()));
        send(out, port, msg);
    }

    /**
     * Retransmits our Deletes of retired IKE SAs whose timeout passed (doubling it each time); after the last try, or
     * once the SA left {@link #retired} (answered, deleted by the peer, pushed out), the Delete is done with.
     */
    private void resendDeletes(List<IkeAction> out) {
        long now = clock.nanoTime();
        for (java.util.Iterator<DeleteInFlight> it = deletesInFlight.iterator(); it.hasNext(); ) {
            DeleteInFlight d = it.next();
            if (!retired.contains(d.sa)) {
                it.remove();
            } else if (now - d.deadline >= 0) {
                if (d.tries >= config.retransmitTries()) {
                    it.remove();
                    retired.remove(d.sa); // never confirmed: forget its keys; the peer's copy expires on its own
                } else {
                    d.tries++;
                    d.deadline = now + (config.retransmitTimeout().toNanos() << d.tries);
                    send(out, d.localPort, d.datagrams);
                }
            }
        }
    }

    private void ikeRekeyRequest(IkeMessage m, Payload.SecurityAssociation sa, byte[] peerNonce, List<IkeAction> out) {
        Optional<Proposal> selected = Proposals.select(sa.proposals(), config.ikeProposals()).filter(x -> x.spi().length == 8 && toLong(x.spi()) != 0);
        if (selected.isEmpty()) {
            respond(out, Ike.CREATE_CHILD_SA, m.messageId(), List.of(Payload.Notify.of(Ike.NO_PROPOSAL_CHOSEN)));
            out.add(new IkeAction.Failed(IkeFailure.NO_PROPOSAL_CHOSEN, "the peer offers " + sa.proposals()
                    + " to rekey the IKE SA, this site allows " + config.ikeProposals()));
            return;
        }
        int group = selected.get().dhGroup();
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        if (ke.isEmpty() || ke.get().group() != group) {
            respond(out, Ike.CREATE_CHILD_SA, m.messageId(),
                    List.of(Payload.Notify.of(Ike.INVALID_KE_PAYLOAD, new byte[] {(byte) (group >>> 8), (byte) group})));
            return;
        }
        DhGroup.Exchange ours = DhGroup.generate(group, random);
        Optional<byte[]> gir = ours.agree(ke.get().data());
        if (gir.isEmpty()) {
            respond(out, Ike.CREATE_CHILD_SA, m.messageId(), List.of(Payload.Notify.of(Ike.INVALID_SYNTAX)));
            return;
        }
        long spi = nonZeroSpi();
        byte[] nonce = randomBytes(32);
        Proposal chosen = selected.get();
        List<Payload> answer = new ArrayList<>(List.of(
                new Payload.SecurityAssociation(List.of(chosen.withNumberAndSpi(chosen.number(), longBytes(spi)))),
                new Payload.Nonce(nonce), new Payload.KeyExchange(group, ours.publicValue())));
        List<Integer> additional = additionalMethods(chosen);
        if (!additional.isEmpty()) {
            // RFC 9370 section 2.2.4: the new IKE SA's keys wait for the IKE_FOLLOWUP_KE exchanges
            byte[] link = randomBytes(8);
            answer.add(Payload.Notify.of(Ike.ADDITIONAL_KEY_EXCHANGE, link));
            respond(out, Ike.CREATE_CHILD_SA, m.messageId(), answer);
            byte[] sharedGir = gir.get();
            peerFollowUp = new FollowUp(additional, link, (extra, o) -> {
                IkeKeys newKeys = keys.rekeyed(chosen, peerNonce, nonce, sharedGir, extra, toLong(chosen.spi()), spi, random);
                Arrays.fill(sharedGir, (byte) 0);
                acceptPeerIkeRekey(chosen, spi, newKeys, peerNonce, nonce, o);
            }, (why, o) -> { });
            return;
        }
        respond(out, Ike.CREATE_CHILD_SA, m.messageId(), answer);
        // the peer sent the request: it is the new IKE SA's initiator; it deletes the old one
        IkeKeys newKeys = keys.rekeyed(chosen, peerNonce, nonce, gir.get(), toLong(chosen.spi()), spi, random);
        Arrays.fill(gir.get(), (byte) 0);
        acceptPeerIkeRekey(chosen, spi, newKeys, peerNonce, nonce, out);
    }

    /** The IKE SA the peer's rekey made is complete: we move to it (or, in a collision, keep it as a candidate). */
    private void acceptPeerIkeRekey(Proposal chosen, long spi, IkeKeys newKeys, byte[] peerNonce, byte[] nonce, List<IkeAction> out) {
        if (outstanding != null && outstanding.purpose instanceof IkeRekey) {
            // section 2.8.2: we are rekeying it too; which new SA stays is decided when our answer comes
            peerRekey = new Candidate(toLong(chosen.spi()), spi, newKeys, chosen, lower(peerNonce, nonce));
            return;
        }
        Outstanding ours0 = outstanding;
        replaceIkeSa(false, toLong(chosen.spi()), spi, chosen, newKeys, out);
        if (ours0 != null) {
            // a request of ours on the old IKE SA is moot: a CHILD SA rekey or delete is redone on the new one
            outstanding = null;
            switch (ours0.purpose) {
                case ChildRekey r -> r.old.rekeyAt = clock.nanoTime();
                case ChildDelete d -> sendChildDelete(d.gone, out);
                case null, default -> {
                }
            }
        }
    }

    /**
     * Moves to the new IKE SA: its SPIs, keys (from the old SK_d), role and message IDs; the CHILD SAs stay (their
     * future rekeys take keys from the new SK_d); the old SA is kept in {@link #retired} until its Delete.
     */
    private Retired replaceIkeSa(boolean weInitiated, long newSpiI, long newSpiR, Proposal chosen, IkeKeys newKeys, List<IkeAction> out) {
        Retired old = new Retired(spiI, spiR, keys, initiator, nextRequestId, expectedPeerRequestId, lastRequest, lastResponse);
        retire(old);
        keys = newKeys;
        spiI = newSpiI;
        spiR = newSpiR;
        initiator = weInitiated;
        ikeProposal = chosen;
        nextRequestId = 0;
        expectedPeerRequestId = 0;
        lastRequest = null;
        lastResponse = null;
        ikeRekeyAt = clock.nanoTime() + rekeyDelay(config.ikeLifetime());
        ikeHardEndAt = clock.nanoTime() + hardLifetime(config.ikeLifetime());
        out.add(new IkeAction.IkeSaRekeyed(spiI, spiR, chosen));
        return old;
    }

    /** A message on the IKE SA a rekey replaced: its Delete (answered), the answer to ours, or a retransmitted rekey request. */
    private void retiredMessage(Retired old, IkeMessage m, byte[] raw, List<IkeAction> out) {
        if (m.fromInitiator() == old.initiator || m.first(Payload.EncryptedFragment.class).isPresent()) {
            out.add(new IkeAction.Dropped("on the replaced IKE SA: " + m.describe()));
            return;
        }
        IkeMessage plain;
        switch (m.decrypt(raw, 0, old.initiator ? old.keys.responderCipher : old.keys.initiatorCipher)) {
            case IkeMessage.Decoded.Bad bad -> {
                out.add(new IkeAction.Dropped(bad.reason().description()));
                return;
            }
            case IkeMessage.Decoded.Ok ok -> plain = ok.message();
        }
        lastHeardNanos = clock.nanoTime();
        int port = natT ? Ike.NAT_T_PORT : Ike.IKE_PORT;
        if (m.isResponse()) {
            if (m.exchange() == Ike.INFORMATIONAL && m.messageId() == old.nextRequestId) {
                retired.remove(old); // our Delete of it is confirmed
            }
            return;
        }
        if (m.messageId() == old.expectedPeerRequestId - 1 && old.lastResponse != null && Arrays.equals(raw, old.lastRequest)) {
            send(out, port, old.lastResponse); // the rekey request again: its answer was lost
            return;
        }
        boolean deleted = plain.all(Payload.Delete.class).stream().anyMatch(d -> d.protocol() == Ike.PROTO_IKE);
        send(out, port, seal(new IkeMessage(old.spiI, old.spiR, m.exchange(), Ike.FLAG_RESPONSE | (old.initiator ? Ike.FLAG_INITIATOR : 0),
                m.messageId(), List.of()), old.keys, old.initiator));
        if (deleted) {
            retired.remove(old);
        }
    }

    // ---- established: CREATE_CHILD_SA as initiator (our CHILD SA rekey, RFC 7296 section 1.3.3) ----

    /** Sends {@code [ N(REKEY_SA) SA Ni [KE] TSi TSr ]} for {@code old}: new SPI, new nonce, a KE when the ESP proposal has a group. */
    private void startChildRekey(Child old, int group, boolean keRetried, List<IkeAction> out) {
        int spi = random.nextInt() | 0x100;
        byte[] nonce = randomBytes(32);
        DhGroup.Exchange pfs = group == 0 ? null : DhGroup.generate(group, random);
        List<Payload> p = new ArrayList<>();
        p.add(new Payload.Notify(Ike.PROTO_ESP, spiBytes(old.inboundSpi), Ike.REKEY_SA, new byte[0]));
        p.add(new Payload.SecurityAssociation(withSpi(config.espProposals(), spi)));
        p.add(new Payload.Nonce(nonce));
        if (pfs != null) {
            p.add(new Payload.KeyExchange(group, pfs.publicValue()));
        }
        p.add(new Payload.TrafficSelectors(true, old.local)); // the same selectors as the SA it replaces
        p.add(new Payload.TrafficSelectors(false, old.remote));
        long id = nextRequestId++;
        sendRequest(out, id, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT,
                seal(new IkeMessage(spiI, spiR, Ike.CREATE_CHILD_SA, initiator ? Ike.FLAG_INITIATOR : 0, id, p)),
                new ChildRekey(old, spi, nonce, pfs, keRetried));
    }

    /** Sends {@code [ SA Ni [KE] TSi TSr ]} for a further CHILD SA: a new SPI and nonce, a KE when the proposal has a group. */
    private void startNewChild(List<TrafficSelector> local, List<TrafficSelector> remote, int group, boolean keRetried,
                               List<IkeAction> out) {
        int spi = random.nextInt() | 0x100;
        byte[] nonce = randomBytes(32);
        DhGroup.Exchange pfs = group == 0 ? null : DhGroup.generate(group, random);
        List<Payload> p = new ArrayList<>();
        p.add(new Payload.SecurityAssociation(withSpi(config.espProposals(), spi)));
        p.add(new Payload.Nonce(nonce));
        if (pfs != null) {
            p.add(new Payload.KeyExchange(group, pfs.publicValue()));
        }
        p.add(new Payload.TrafficSelectors(true, local));
        p.add(new Payload.TrafficSelectors(false, remote));
        long id = nextRequestId++;
        sendRequest(out, id, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT,
                seal(new IkeMessage(spiI, spiR, Ike.CREATE_CHILD_SA, initiator ? Ike.FLAG_INITIATOR : 0, id, p)),
                new NewChild(local, remote, spi, nonce, pfs, keRetried));
    }

    /** The answer to {@link #startNewChild}: the CHILD SA installed, or a {@code Failed} naming the pair (nothing else ends). */
    private void newChildResponse(IkeMessage m, NewChild r, List<IkeAction> out) {
        Optional<Payload.Notify> invalidKe = m.notify(Ike.INVALID_KE_PAYLOAD);
        if (invalidKe.isPresent() && !r.keRetried && invalidKe.get().data().length == 2) {
            int wanted = ((invalidKe.get().data()[0] & 0xff) << 8) | (invalidKe.get().data()[1] & 0xff);
            if (config.espProposals().stream().anyMatch(x -> x.dhGroup() == wanted)) {
                startNewChild(r.local, r.remote, wanted, true, out);
                return;
            }
        }
        String which = "a CHILD SA for " + r.local + " === " + r.remote;
        Optional<Payload.Notify> error = m.all(Payload.Notify.class).stream().filter(Payload.Notify::isError).findFirst();
        Optional<Payload.SecurityAssociation> sa = m.first(Payload.SecurityAssociation.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        Optional<Payload.TrafficSelectors> tsi = m.selectors(true), tsr = m.selectors(false);
        if (error.isPresent() || sa.isEmpty() || nonce.isEmpty() || tsi.isEmpty() || tsr.isEmpty() || sa.get().proposals().size() != 1) {
            IkeFailure reason = childFailure(error);
            out.add(new IkeAction.Failed(reason, which + ": the peer answered " + error.map(e -> "with error notify " + e.notifyType())
                    .orElse("without SA, nonce or selectors") + "; its packets stay dropped (outside_selectors)"));
            return;
        }
        Proposal chosen = sa.get().proposals().get(0);
        int group = r.pfs == null ? 0 : r.pfs.group();
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        if (!childAnswerOffered(chosen, group, ke)) {
            out.add(new IkeAction.Failed(IkeFailure.NO_PROPOSAL_CHOSEN, which + ": the peer chose " + chosen + ", which this site did not offer"));
            return;
        }
        if (!TrafficSelector.allWithin(tsi.get().selectors(), r.local) || !TrafficSelector.allWithin(tsr.get().selectors(), r.remote)) {
            out.add(new IkeAction.Failed(IkeFailure.TS_UNACCEPTABLE, which + ": the peer narrowed to " + tsi.get().selectors() + " === "
                    + tsr.get().selectors() + ", outside what was asked"));
            return;
        }
        byte[] gir = new byte[0];
        if (group != 0) {
            Optional<byte[]> shared = r.pfs.agree(ke.get().data());
            if (shared.isEmpty()) {
                out.add(new IkeAction.Failed(IkeFailure.INVALID_DH_VALUE, which + ": the peer's DH public value is invalid for group " + group));
                return;
            }
            gir = shared.get();
        }
        List<TrafficSelector> ti = tsi.get().selectors(), tr = tsr.get().selectors();
        byte[] peerNonce = nonce.get().data(), sharedGir = gir;
        java.util.function.BiConsumer<byte[], List<IkeAction>> complete = (extra, o) -> {
            inboundChildSpi = r.newSpi;
            install(chosen, ti, tr, sharedGir, r.nonce, peerNonce, true, extra, IkeAction.Outbound.NOW, o);
            Arrays.fill(sharedGir, (byte) 0);
        };
        List<Integer> additional = additionalMethods(chosen);
        if (!additional.isEmpty()) {
            Optional<Payload.Notify> link = m.notify(Ike.ADDITIONAL_KEY_EXCHANGE);
            if (link.isEmpty()) {
                out.add(new IkeAction.Failed(IkeFailure.PEER_ERROR, which + ": the peer chose " + chosen
                        + " without ADDITIONAL_KEY_EXCHANGE (RFC 9370)"));
                return;
            }
            sendFollowUp(new FollowUp(additional, link.get().data(), complete,
                    (why, o) -> o.add(new IkeAction.Failed(IkeFailure.PEER_ERROR, which + ": " + why))), out);
            return;
        }
        complete.accept(new byte[0], out);
    }

    /** What an error notify in the answer to our CREATE_CHILD_SA means (PEER_ERROR for any other, or none). */
    private static IkeFailure childFailure(Optional<Payload.Notify> error) {
        return error.map(e -> switch (e.notifyType()) {
            case Ike.NO_PROPOSAL_CHOSEN -> IkeFailure.NO_PROPOSAL_CHOSEN;
            case Ike.TS_UNACCEPTABLE -> IkeFailure.TS_UNACCEPTABLE;
            case Ike.INVALID_KE_PAYLOAD -> IkeFailure.INVALID_KE_PAYLOAD;
            default -> IkeFailure.PEER_ERROR;
        }).orElse(IkeFailure.PEER_ERROR);
    }

    /** Whether the proposal the peer chose for our CREATE_CHILD_SA is one we offered, with a KE of our group if any. */
    private boolean childAnswerOffered(Proposal chosen, int group, Optional<Payload.KeyExchange> ke) {
        return Proposals.accepts(config.espProposals(), chosen) && chosen.spi().length == 4 && chosen.dhGroup() == group
                && (group == 0 || ke.isPresent() && ke.get().group() == group);
    }

    private void childRekeyResponse(IkeMessage m, ChildRekey r, List<IkeAction> out) {
        Optional<Payload.Notify> invalidKe = m.notify(Ike.INVALID_KE_PAYLOAD);
        if (invalidKe.isPresent() && !r.keRetried && invalidKe.get().data().length == 2) {
            int wanted = ((invalidKe.get().data()[0] & 0xff) << 8) | (invalidKe.get().data()[1] & 0xff);
            if (config.espProposals().stream().anyMatch(x -> x.dhGroup() == wanted)) {
                startChildRekey(r.old, wanted, true, out); // section 1.3: again with the group the peer wants
                return;
            }
        }
        Optional<Payload.Notify> error = m.all(Payload.Notify.class).stream().filter(Payload.Notify::isError).findFirst();
        Optional<Payload.SecurityAssociation> sa = m.first(Payload.SecurityAssociation.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        Optional<Payload.TrafficSelectors> tsi = m.selectors(true), tsr = m.selectors(false);
        String which = String.format("rekeying CHILD SA %08x_i", r.old.inboundSpi);
        if (error.isPresent() || sa.isEmpty() || nonce.isEmpty() || tsi.isEmpty() || tsr.isEmpty() || sa.get().proposals().size() != 1) {
            r.old.rekeyAt = clock.nanoTime() + REKEY_RETRY.toNanos(); // the old one stays; try again later
            if (error.isPresent() && (error.get().notifyType() == Ike.TEMPORARY_FAILURE || error.get().notifyType() == Ike.CHILD_SA_NOT_FOUND)) {
                return; // section 2.25: the peer is busy with the same SA (retried), or deleted it meanwhile
            }
            IkeFailure reason = childFailure(error);
            out.add(new IkeAction.Failed(reason, which + ": the peer answered " + error.map(e -> "with error notify " + e.notifyType()
                    + (reason == IkeFailure.NO_PROPOSAL_CHOSEN ? " (it accepts none of this site's ESP proposals " + config.espProposals() + ")" : ""))
                    .orElse("without SA, nonce or selectors") + "; the old CHILD SA stays, retried in " + REKEY_RETRY.toSeconds() + " s"));
            return;
        }
        Proposal chosen = sa.get().proposals().get(0);
        int group = r.pfs == null ? 0 : r.pfs.group();
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        if (!childAnswerOffered(chosen, group, ke)) {
            r.old.rekeyAt = clock.nanoTime() + REKEY_RETRY.toNanos();
            out.add(new IkeAction.Failed(IkeFailure.NO_PROPOSAL_CHOSEN, which + ": the peer chose " + chosen
                    + (group != 0 ? " with KE of group " + ke.map(Payload.KeyExchange::group).orElse(0) : "") + ", which this site did not offer"));
            return;
        }
        if (!TrafficSelector.allWithin(tsi.get().selectors(), r.old.local) || !TrafficSelector.allWithin(tsr.get().selectors(), r.old.remote)) {
            r.old.rekeyAt = clock.nanoTime() + REKEY_RETRY.toNanos();
            out.add(new IkeAction.Failed(IkeFailure.TS_UNACCEPTABLE, which + ": the peer narrowed to " + tsi.get().selectors() + " === "
                    + tsr.get().selectors() + ", outside " + r.old.local + " === " + r.old.remote));
            return;
        }
        byte[] gir = new byte[0];
        if (group != 0) {
            Optional<byte[]> shared = r.pfs.agree(ke.get().data());
            if (shared.isEmpty()) {
                r.old.rekeyAt = clock.nanoTime() + REKEY_RETRY.toNanos();
                out.add(new IkeAction.Failed(IkeFailure.INVALID_DH_VALUE, which + ": the peer's DH public value is invalid for group " + group));
                return;
            }
            gir = shared.get();
        }
        List<Integer> additional = additionalMethods(chosen);
        if (!additional.isEmpty()) {
            Optional<Payload.Notify> link = m.notify(Ike.ADDITIONAL_KEY_EXCHANGE);
            if (link.isEmpty()) {
                r.old.rekeyAt = clock.nanoTime() + REKEY_RETRY.toNanos();
                out.add(new IkeAction.Failed(IkeFailure.PEER_ERROR, which + ": the peer chose " + chosen
                        + " without ADDITIONAL_KEY_EXCHANGE (RFC 9370); the old CHILD SA stays, retried in " + REKEY_RETRY.toSeconds() + " s"));
                return;
            }
            byte[] sharedGir = gir, peerNonce = nonce.get().data();
            List<TrafficSelector> ti = tsi.get().selectors(), tr = tsr.get().selectors();
            sendFollowUp(new FollowUp(additional, link.get().data(),
                    (extra, o) -> finishChildRekey(r, chosen, ti, tr, sharedGir, peerNonce, extra, o),
                    (why, o) -> {
                        r.old.rekeyAt = clock.nanoTime() + REKEY_RETRY.toNanos();
                        o.add(new IkeAction.Failed(IkeFailure.PEER_ERROR, which + ": " + why + "; the old CHILD SA stays, retried in "
                                + REKEY_RETRY.toSeconds() + " s"));
                    }), out);
            return;
        }
        finishChildRekey(r, chosen, tsi.get().selectors(), tsr.get().selectors(), gir, nonce.get().data(), new byte[0], out);
    }

    /** Installs the CHILD SA our rekey made ({@code extra}: RFC 9370's additional secrets) and deletes the one it replaces. */
    private void finishChildRekey(ChildRekey r, Proposal chosen, List<TrafficSelector> tsi, List<TrafficSelector> tsr, byte[] gir,
                                  byte[] peerNonce, byte[] extra, List<IkeAction> out) {
        inboundChildSpi = r.newSpi;
        // In a collision (section 2.8.1) the SA made with the lowest of the four nonces is deleted by whoever made it.
        // When that is ours, it never carries our packets (the peer deletes it on our Delete), and the old one is left
        // to the peer, which deletes it once its own new one is installed: were we to delete it too, the peer could lose
        // it before it has the new one, and our packets on the new one until it does
        boolean oursRedundant = r.old.collisionNonce != null
                && Arrays.compareUnsigned(lower(r.nonce, peerNonce), r.old.collisionNonce) < 0;
        Child fresh = install(chosen, tsi, tsr, gir, r.nonce, peerNonce, true, extra,
                oursRedundant ? IkeAction.Outbound.NEVER : IkeAction.Outbound.NOW, out);
        Arrays.fill(gir, (byte) 0);
        r.old.replaced = true;
        // otherwise the new one carries traffic now; delete the old one (section 1.3.3: the rekey's initiator deletes it)
        sendChildDelete(oursRedundant ? List.of(fresh) : List.of(r.old), out);
    }

    private static byte[] lower(byte[] x, byte[] y) {
        return Arrays.compareUnsigned(x, y) <= 0 ? x : y;
    }

    private void sendChildDelete(List<Child> gone, List<IkeAction> out) {
        long id = nextRequestId++;
        sendRequest(out, id, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT, seal(new IkeMessage(spiI, spiR, Ike.INFORMATIONAL,
                initiator ? Ike.FLAG_INITIATOR : 0, id,
                List.of(new Payload.Delete(Ike.PROTO_ESP, 4, gone.stream().map(c -> spiBytes(c.inboundSpi)).toList())))),
                new ChildDelete(gone));
    }

    // ---- established: INFORMATIONAL, delete ----

    private void informational(IkeMessage m, List<IkeAction> out) {
        if (!initiator && m.notify(Ike.AUTHENTICATION_FAILED).isPresent() && state == State.ESTABLISHED) {
            // section 2.21.2: the initiator refused our IKE_AUTH response (our certificate or ID) after we counted the SA up
            respond(out, Ike.INFORMATIONAL, m.messageId(), List.of());
            deleteAllChildren(out);
            fail(out, IkeFailure.AUTHENTICATION_FAILED, authenticator.refusedByPeer());
            return;
        }
        List<Payload> answer = new ArrayList<>();
        boolean closeIke = false;
        for (Payload.Delete d : m.all(Payload.Delete.class)) {
            if (d.protocol() == Ike.PROTO_IKE) {
                closeIke = true;
            } else if (d.protocol() == Ike.PROTO_ESP && d.spiSize() == 4) {
                List<byte[]> ours = new ArrayList<>();
                for (byte[] spi : d.spis()) {
                    int named = toInt(spi); // the peer names its inbound SPIs, our outbound
                    Child gone = children.remove(named);
                    if (gone != null) {
                        out.add(new IkeAction.ChildSaDeleted(gone.inboundSpi));
                        ours.add(spiBytes(gone.inboundSpi));
                    }
                    // the peer deletes the SA its rekey replaced only once it has the new one in place (section 2.8),
                    // also when our own Delete of it (a collision) was answered first
                    for (Child c : children.values()) {
                        if (c.awaitsDeleteOf != null && c.awaitsDeleteOf.outboundSpi == named) {
                            c.awaitsDeleteOf = null;
                            out.add(new IkeAction.ChildSaReady(c.inboundSpi));
                        }
                    }
                }
                if (!ours.isEmpty()) {
                    answer.add(new Payload.Delete(Ike.PROTO_ESP, 4, ours)); // section 1.4.1: delete ours in return
                }
            }
        }
        respond(out, Ike.INFORMATIONAL, m.messageId(), closeIke ? List.of() : answer); // empty: a liveness check's answer
        if (closeIke && peerRekey != null) {
            // section 2.8.2 with the peer's Delete overtaking the answer to our rekey: the peer's new IKE SA won
            Candidate theirs = peerRekey;
            peerRekey = null;
            outstanding = null;
            replaceIkeSa(false, theirs.spiI, theirs.spiR, theirs.proposal, theirs.keys, out);
            retired.removeLast(); // the old one, just deleted by the peer
            return;
        }
        if (closeIke) {
            state = State.CLOSED;
            outstanding = null;
            deleteAllChildren(out);
            out.add(new IkeAction.Closed("deleted by the peer"));
        }
    }

    /** Deletes the IKE SA (and with it the CHILD SA): an INFORMATIONAL request with Delete(IKE). */
    public List<IkeAction> delete() {
        List<IkeAction> out = new ArrayList<>();
        if (state != State.ESTABLISHED) {
            return out;
        }
        long id = nextRequestId++;
        List<byte[]> msg = seal(new IkeMessage(spiI, spiR, Ike.INFORMATIONAL, initiator ? Ike.FLAG_INITIATOR : 0, id,
                List.of(new Payload.Delete(Ike.PROTO_IKE, 0, List.of()))));
        state = State.CLOSED;
        deleteAllChildren(out);
        sendRequest(out, id, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT, msg);
        return out;
    }

    // ---- time ----

    /**
     * Retransmits an unanswered request when its timeout passed (doubling each time) and gives up after the last try;
     * when no request is outstanding, rekeys a CHILD SA whose time came, or sends a liveness check when the peer was
     * silent for the DPD interval.
     */
    public List<IkeAction> tick() {
        List<IkeAction> out = new ArrayList<>();
        resendDeletes(out);
        if (state == State.ESTABLISHED && hardLifetimeOver(out)) {
            return out;
        }
        Outstanding o = outstanding;
        if (o == null) {
            if (state != State.ESTABLISHED) {
                return out;
            }
            long now = clock.nanoTime();
            if (now - ikeRekeyAt >= 0) {
                startIkeRekey(ikeProposal.dhGroup(), false, out);
                return out;
            }
            for (Child c : children.values()) {
                if (rekeyable(c) && now - c.rekeyAt >= 0) {
                    startChildRekey(c, config.espProposals().get(0).dhGroup(), false, out);
                    return out;
                }
            }
            if (!wantedChildren.isEmpty()) {
                List<List<TrafficSelector>> w = wantedChildren.poll();
                startNewChild(w.get(0), w.get(1), config.espProposals().get(0).dhGroup(), false, out);
                return out;
            }
            if (!config.dpdInterval().isZero()
                    && clock.nanoTime() - lastHeardNanos - config.dpdInterval().toNanos() >= 0) {
                long id = nextRequestId++; // an empty INFORMATIONAL request (RFC 7296 section 1.4)
                List<byte[]> msg = seal(new IkeMessage(spiI, spiR, Ike.INFORMATIONAL, initiator ? Ike.FLAG_INITIATOR : 0, id, List.of()));
                sendRequest(out, id, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT, msg,
                        new Liveness(clock.nanoTime() + config.dpdInterval().toNanos() * 3 / 2));
            }
            return out;
        }
        if (clock.nanoTime() - o.deadline < 0) {
            return out;
        }
        boolean givenUp = o.purpose instanceof Liveness l && clock.nanoTime() - l.giveUpAt() >= 0;
        if (o.tries >= config.retransmitTries() || givenUp) {
            outstanding = null;
            if (state == State.CLOSED) {
                out.add(new IkeAction.Closed("deleted by us, the peer did not confirm"));
            } else {
                fail(out, IkeFailure.TIMEOUT, "no answer from " + remote + " after " + (o.tries + 1) + " transmissions"
                        + (state == State.ESTABLISHED ? " of a liveness check: the peer is down" : ""));
            }
            return out;
        }
        long timeout = config.retransmitTimeout().toNanos() << (o.tries + 1);
        long deadline = clock.nanoTime() + timeout;
        if (o.purpose instanceof Liveness l && deadline - l.giveUpAt() > 0) {
            deadline = l.giveUpAt();
        }
        outstanding = new Outstanding(o.messageId, o.localPort, o.datagrams, deadline, o.tries + 1, o.purpose);
        send(out, o.localPort, o.datagrams);
        return out;
    }

    /**
     * Past the hard lifetime of the IKE SA's keys, or of a CHILD SA no rekey replaced (every rekey failed: the warnings
     * said why), the keys must carry nothing more: the IKE SA is deleted with its CHILD SAs (the peer is told), and
     * the caller sets it up anew as after any loss. strongSwan's {@code life_time}/{@code over_time} defaults.
     */
    private boolean hardLifetimeOver(List<IkeAction> out) {
        long now = clock.nanoTime();
        String what = null;
        if (now - ikeHardEndAt >= 0) {
            what = "the IKE SA (SPI " + String.format("%016x", spiI) + "_i) reached its hard lifetime ("
                    + text(java.time.Duration.ofNanos(hardLifetime(config.ikeLifetime()))) + ": ike_lifetime "
                    + text(config.ikeLifetime()) + " + 10 %)";
        } else {
            for (Child c : children.values()) {
                if (!c.replaced && now - c.hardEndAt >= 0) {
                    what = "CHILD SA " + String.format("%08x_i", c.inboundSpi) + " reached its hard lifetime ("
                            + text(java.time.Duration.ofNanos(hardLifetime(config.childLifetime()))) + ": child_lifetime "
                            + text(config.childLifetime()) + " + 10 %)";
                    break;
                }
            }
        }
        if (what == null) {
            return false;
        }
        out.add(new IkeAction.Failed(IkeFailure.LIFETIME_EXPIRED, what + " without a successful rekey; the IKE SA is "
                + "deleted and set up anew"));
        outstanding = null; // a rekey still being retransmitted is given up
        out.addAll(delete());
        return true;
    }

    /** strongSwan's default hard lifetime: 110 % of the lifetime (rekeys happen in its last tenth before 100 %). */
    private static long hardLifetime(java.time.Duration lifetime) {
        return lifetime.toNanos() / 10 * 11;
    }

    /** {@code 1h6m}, {@code 2m12s}: a duration as the site file writes it. */
    private static String text(java.time.Duration d) {
        return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The CRLs changed: whether they ({@code withCrls}) now revoke the certificate this ESTABLISHED IKE SA's peer
     * authenticated with (or a CA above it), as of the clock's time. The failure, named as IKE_AUTH's refusal would be
     * ({@link IkeFailure#CERTIFICATE_REVOKED} with certificate, serial and CRL); empty when not revoked, with a PSK, or
     * when not established. The caller decides what follows ({@link #delete}).
     */
    public Optional<IkeAction.Failed> peerRevoked(IkeCertificates withCrls) {
        return state == State.ESTABLISHED ? IkeAuth.revoked(peerCertificates, withCrls, clock.now()) : Optional.empty();
    }

    /** The IKE SA's initiator SPI (0 before the first message). */
    public long initiatorSpi() {
        return spiI;
    }

    /** Whether this side initiated the IKE SA (its roles as they are now, after any rekey). */
    public boolean weInitiated() {
        return initiator;
    }

    /**
     * Whether a message with these SPIs belongs to this session: its IKE SA (also while the responder's SPI is not
     * known yet), or one it rekeyed and still answers on. For a caller that holds several sessions with one peer.
     */
    public boolean owns(long messageSpiI, long messageSpiR) {
        if (spiI != 0 && messageSpiI == spiI && (spiR == 0 || messageSpiR == spiR || messageSpiR == 0)) {
            return true;
        }
        for (Retired old : retired) {
            if (messageSpiI == old.spiI && messageSpiR == old.spiR) {
                return true;
            }
        }
        return false;
    }

    // ---- helpers ----

    private void established(List<IkeAction> out) {
        state = State.ESTABLISHED;
        lastHeardNanos = clock.nanoTime();
        ikeRekeyAt = clock.nanoTime() + rekeyDelay(config.ikeLifetime());
        ikeHardEndAt = clock.nanoTime() + hardLifetime(config.ikeLifetime());
        out.add(new IkeAction.Established(spiI, spiR, ikeProposal, natT, peerCertificates.stream().findFirst()
                .map(c -> c.getNotAfter().toInstant()), peerInitialContact));
    }

    private void deleteAllChildren(List<IkeAction> out) {
        for (Child c : children.values()) {
            out.add(new IkeAction.ChildSaDeleted(c.inboundSpi));
        }
        children.clear();
    }

    private void install(Proposal chosen, List<TrafficSelector> local, List<TrafficSelector> remoteTs, byte[] gir, byte[] nonceI,
                         byte[] nonceR, List<IkeAction> out) {
        install(chosen, local, remoteTs, gir, nonceI, nonceR, initiator, out);
    }

    /** {@code weInitiated}: whether we sent the request of the exchange that created it (our Ni), which orders the keys. */
    private Child install(Proposal chosen, List<TrafficSelector> local, List<TrafficSelector> remoteTs, byte[] gir, byte[] nonceI,
                          byte[] nonceR, boolean weInitiated, List<IkeAction> out) {
        return install(chosen, local, remoteTs, gir, nonceI, nonceR, weInitiated, new byte[0], out);
    }

    /** {@code extra}: SK(1) | ... | SK(n) of RFC 9370's additional key exchanges, after the nonces in the KEYMAT seed. */
    private Child install(Proposal chosen, List<TrafficSelector> local, List<TrafficSelector> remoteTs, byte[] gir, byte[] nonceI,
                          byte[] nonceR, boolean weInitiated, byte[] extra, List<IkeAction> out) {
        return install(chosen, local, remoteTs, gir, nonceI, nonceR, weInitiated, extra, IkeAction.Outbound.NOW, out);
    }

    /** {@code outbound}: when outgoing packets may use the new CHILD SA. */
    private Child install(Proposal chosen, List<TrafficSelector> local, List<TrafficSelector> remoteTs, byte[] gir, byte[] nonceI,
                          byte[] nonceR, boolean weInitiated, byte[] extra, IkeAction.Outbound outbound, List<IkeAction> out) {
        Transform encr = chosen.first(Ike.ENCR).orElseThrow();
        int integ = chosen.first(Ike.INTEG).map(Transform::id).orElse(0);
        byte[][] km = keys.childKeymat(encr, integ, gir, nonceI, nonceR, extra); // [initiator->responder, responder->initiator]
        int outboundSpi = toInt(chosen.spi());
        InetSocketAddress espTo = new InetSocketAddress(remote.getAddress(), natT ? remote.getPort() : Ike.NAT_T_PORT);
        Child child = new Child(inboundChildSpi, outboundSpi, local, remoteTs, clock.nanoTime() + rekeyDelay(config.childLifetime()),
                clock.nanoTime() + hardLifetime(config.childLifetime()));
        children.put(outboundSpi, child);
        out.add(new IkeAction.ChildSaInstalled(new ChildSa(inboundChildSpi, outboundSpi, encr, integ,
                weInitiated ? km[1] : km[0], weInitiated ? km[0] : km[1], local, remoteTs, espTo), outbound));
        return child;
    }

    /** Whether our timer may rekey {@code c}: not replaced yet, nor being rekeyed by the peer. */
    private boolean rekeyable(Child c) {
        return !c.replaced && (peerFollowUp == null || peerFollowUp.rekeys != c);
    }

    /** The lifetime minus a random part of up to {@link IkeConfig#rekeyJitter} of it, in nanoseconds. */
    private long rekeyDelay(java.time.Duration lifetime) {
        long jitter = IkeConfig.rekeyJitter(lifetime).toNanos();
        return lifetime.toNanos() - random.nextLong(jitter + 1);
    }

    private void fail(List<IkeAction> out, IkeFailure reason, String detail) {
        state = State.FAILED;
        outstanding = null;
        out.add(new IkeAction.Failed(reason, detail));
    }

    private void respond(List<IkeAction> out, int exchange, long messageId, List<Payload> payloads) {
        List<byte[]> msg = seal(new IkeMessage(spiI, spiR, exchange, Ike.FLAG_RESPONSE | (initiator ? Ike.FLAG_INITIATOR : 0),
                messageId, payloads));
        lastResponse = msg;
        lastRequest = pendingRequest;
        lastResponsePort = natT ? Ike.NAT_T_PORT : Ike.IKE_PORT;
        expectedPeerRequestId = messageId + 1;
        send(out, lastResponsePort, msg);
    }

    private void sendRequest(List<IkeAction> out, long messageId, int localPort, List<byte[]> msg) {
        sendRequest(out, messageId, localPort, msg, null);
    }

    private void sendRequest(List<IkeAction> out, long messageId, int localPort, List<byte[]> msg, Request purpose) {
        outstanding = new Outstanding(messageId, localPort, msg, clock.nanoTime() + config.retransmitTimeout().toNanos(), 0, purpose);
        send(out, localPort, msg);
    }

    private void sendPlain(List<IkeAction> out, int localPort, InetSocketAddress to, IkeMessage m) {
        byte[] msg = m.encode();
        out.add(new IkeAction.Send(localPort, to, localPort == Ike.NAT_T_PORT ? IkeKeys.concat(NON_ESP_MARKER, msg) : msg));
    }

    private void send(List<IkeAction> out, int localPort, List<byte[]> datagrams) {
        InetSocketAddress to = localPort == Ike.NAT_T_PORT && remote.getPort() == Ike.IKE_PORT
                ? new InetSocketAddress(remote.getAddress(), Ike.NAT_T_PORT) : remote;
        for (byte[] msg : datagrams) {
            out.add(new IkeAction.Send(localPort, to, localPort == Ike.NAT_T_PORT ? IkeKeys.concat(NON_ESP_MARKER, msg) : msg));
        }
    }

    /**
     * An encrypted message as datagrams: one SK payload, or when the peer supports it and the message would not fit
     * in {@link #FRAGMENT_PACKET} bytes of IP packet, Encrypted Fragment payloads that do (RFC 7383 section 2.5).
     */
    private List<byte[]> seal(IkeMessage m) {
        return seal(m, keys, initiator);
    }

    /** {@link #seal(IkeMessage)} with the keys of an IKE SA in which we have the role {@code asInitiator}. */
    private List<byte[]> seal(IkeMessage m, IkeKeys with, boolean asInitiator) {
        SkCipher own = asInitiator ? with.initiatorCipher : with.responderCipher;
        byte[] whole = m.encodeEncrypted(own);
        int max = FRAGMENT_PACKET - (remote.getAddress() instanceof java.net.Inet6Address ? 40 : 20) - 8 - (natT ? NON_ESP_MARKER.length : 0);
        return config.fragmentation() && peerFragments && whole.length > max ? m.encodeFragments(own, max) : List.of(whole);
    }

    /** NAT_DETECTION_SOURCE_IP and _DESTINATION_IP (RFC 7296 section 2.23); with forceEncap a source hash that cannot match. */
    private List<Payload> natdNotifies(long i, long r, InetSocketAddress local, InetSocketAddress peer) {
        byte[] source = config.forceEncap() ? randomBytes(20) : natdHash(i, r, local);
        return List.of(Payload.Notify.of(Ike.NAT_DETECTION_SOURCE_IP, source),
                Payload.Notify.of(Ike.NAT_DETECTION_DESTINATION_IP, natdHash(i, r, peer)));
    }

    /**
     * Whether the peer's NAT detection hashes show a NAT between us (either side behind one); notes in
     * {@link #behindNat} whether this side is behind it (the address the peer saw is not ours).
     */
    private boolean natDetected(IkeMessage m, InetSocketAddress local, InetSocketAddress peer) {
        long r = m.isResponse() ? m.spiR() : 0;
        byte[] ours = natdHash(spiI, r, local), theirs = natdHash(spiI, r, peer);
        Optional<Payload.Notify> dst = m.notify(Ike.NAT_DETECTION_DESTINATION_IP);
        if (dst.isEmpty()) {
            return false; // the peer does no NAT detection
        }
        boolean weMoved = !MessageDigest.isEqual(dst.get().data(), ours);
        boolean theyMoved = m.all(Payload.Notify.class).stream().filter(n -> n.notifyType() == Ike.NAT_DETECTION_SOURCE_IP)
                .noneMatch(n -> MessageDigest.isEqual(n.data(), theirs));
        behindNat = weMoved;
        return weMoved || theyMoved;
    }

    /** SHA-1(SPIi | SPIr | IP | port): SHA-1 is what RFC 7296 fixes for these hashes, not a negotiable choice. */
    private static byte[] natdHash(long i, long r, InetSocketAddress a) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            return sha1.digest(new Writer().u64(i).u64(r).bytes(a.getAddress().getAddress()).u16(a.getPort()).toByteArray());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Proposal> withoutDh(List<Proposal> proposals) {
        return proposals.stream().map(p -> new Proposal(p.number(), p.protocol(), p.spi(),
                p.transforms().stream().filter(t -> t.type() != Ike.DH).toList())).toList();
    }

    private static int toInt(byte[] spi) {
        return ((spi[0] & 0xff) << 24) | ((spi[1] & 0xff) << 16) | ((spi[2] & 0xff) << 8) | (spi[3] & 0xff);
    }

    private static List<Proposal> withSpi(List<Proposal> proposals, int spi) {
        return proposals.stream().map(p -> p.withNumberAndSpi(p.number(), spiBytes(spi))).toList();
    }

    private static byte[] longBytes(long spi) {
        return new Writer().u64(spi).toByteArray();
    }

    private static long toLong(byte[] b) {
        long v = 0;
        for (byte x : b) {
            v = (v << 8) | (x & 0xff);
        }
        return v;
    }

    private static byte[] spiBytes(int spi) {
        return new byte[] {(byte) (spi >>> 24), (byte) (spi >>> 16), (byte) (spi >>> 8), (byte) spi};
    }

    private long nonZeroSpi() {
        long s;
        do {
            s = random.nextLong();
        } while (s == 0);
        return s;
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
