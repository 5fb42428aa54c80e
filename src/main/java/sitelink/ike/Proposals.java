package sitelink.ike;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Proposals in strongSwan's syntax ({@code aes256gcm16-prfsha256-modp2048}, {@code chacha20poly1305-prfsha256-x25519},
 * ESP {@code aes256gcm16-modp2048} or {@code aes256gcm16}), our safe defaults, the refusal of weak algorithms with a
 * named replacement, and the one function that selects a proposal (RFC 7296 section 2.7).
 */
public final class Proposals {
    /** Compiled once: String.matches compiles its pattern on every call (a token of every proposal comes here). */
    private static final Pattern ADDITIONAL_KE = Pattern.compile("ke[1-7]_.*");
    private Proposals() {
    }

    /** A proposal string that cannot be used, with the offending transform and what to write instead. */
    public static final class ProposalException extends Exception {
        private static final long serialVersionUID = 1L;

        /** Without a stack trace: the message is all a refused proposal tells (the user, in check's output). */
        ProposalException(String message) {
            super(message, null, false, false);
        }
    }

    /** AES-256-GCM-16 and ChaCha20-Poly1305 with HMAC-SHA2 PRFs and groups 31, 19, 20, 14. */
    public static final List<String> DEFAULT_IKE = List.of(
            "aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-curve25519-ecp256-ecp384-modp2048");
    /** The same AEADs for ESP; no DH, since the first CHILD_SA never carries one (PFS applies to rekeys). */
    public static final List<String> DEFAULT_ESP = List.of("aes256gcm16-chacha20poly1305");

    public static List<Proposal> parseAll(int protocol, List<String> specs) throws ProposalException {
        List<Proposal> out = new ArrayList<>();
        for (String s : specs) {
            out.add(parse(protocol, out.size() + 1, s));
        }
        if (out.isEmpty()) {
            throw new ProposalException("no proposals: give at least one, e.g. " + (protocol == Ike.PROTO_IKE ? DEFAULT_IKE : DEFAULT_ESP).get(0));
        }
        return out;
    }

    /** One proposal from a dash-separated list of algorithm names. */
    public static Proposal parse(int protocol, int number, String spec) throws ProposalException {
        boolean ike = protocol == Ike.PROTO_IKE;
        List<Transform> transforms = new ArrayList<>();
        for (String token : spec.trim().toLowerCase(java.util.Locale.ROOT).split("-")) {
            transforms.add(transform(token, ike, spec));
        }
        List<Transform> encr = of(transforms, Ike.ENCR);
        if (encr.isEmpty()) {
            throw new ProposalException("'" + spec + "' names no encryption algorithm: add aes256gcm16 or chacha20poly1305");
        }
        boolean cbc = encr.stream().anyMatch(t -> t.id() == Ike.ENCR_AES_CBC);
        boolean aead = encr.stream().anyMatch(t -> t.id() != Ike.ENCR_AES_CBC);
        List<Transform> integ = of(transforms, Ike.INTEG);
        if (cbc && aead) {
            throw new ProposalException("'" + spec + "' mixes AES-CBC and AEAD ciphers in one proposal: write them as two proposals");
        }
        if (aead && !integ.isEmpty()) {
            throw new ProposalException("'" + spec + "': an AEAD needs no integrity algorithm (" + integ.get(0).name()
                    + "); remove it" + (ike ? " and name a PRF such as prfsha256" : ""));
        }
        if (cbc && integ.isEmpty()) {
            throw new ProposalException("'" + spec + "': AES-CBC needs an integrity algorithm: add sha256 (or sha384, sha512)");
        }
        if (ike && cbc && of(transforms, Ike.PRF).isEmpty()) {
            for (Transform t : integ) { // as strongSwan: without a PRF, the PRFs of the integrity algorithms
                transforms.add(Transform.of(Ike.PRF, switch (t.id()) {
                    case Ike.AUTH_HMAC_SHA2_384_192 -> Ike.PRF_HMAC_SHA2_384;
                    case Ike.AUTH_HMAC_SHA2_512_256 -> Ike.PRF_HMAC_SHA2_512;
                    default -> Ike.PRF_HMAC_SHA2_256;
                }));
            }
        }
        if (ike && of(transforms, Ike.PRF).isEmpty()) {
            throw new ProposalException("'" + spec + "' names no PRF: add prfsha256 (or prfsha384, prfsha512)");
        }
        if (!ike && !of(transforms, Ike.PRF).isEmpty()) {
            throw new ProposalException("'" + spec + "': ESP proposals take no PRF (" + of(transforms, Ike.PRF).get(0).name() + ")");
        }
        if (ike && of(transforms, Ike.DH).isEmpty()) {
            throw new ProposalException("'" + spec + "' names no Diffie-Hellman group: add modp2048, ecp256, ecp384 or curve25519"
                    + (transforms.stream().anyMatch(t -> Ike.additionalKe(t.type())) ? " (an additional key exchange such as ke1_mlkem768 comes after a classical one)" : ""));
        }
        if (!ike && of(transforms, Ike.DH).isEmpty() && transforms.stream().anyMatch(t -> Ike.additionalKe(t.type()))) {
            throw new ProposalException("'" + spec + "': an additional key exchange (ke1_...) needs a classical group first, e.g. aes256gcm16-curve25519-ke1_mlkem768");
        }
        for (Transform t : of(transforms, Ike.DH)) {
            if (DhGroup.isKem(t.id())) {
                throw new ProposalException("'" + spec + "': " + t.name() + " only as an additional key exchange after a classical group"
                        + " (RFC 9370), hybrid: write ke1_" + t.name() + " after e.g. curve25519");
            }
        }
        if (!ike && transforms.contains(Transform.of(Ike.ESN, 1))) {
            if (!transforms.contains(Transform.of(Ike.ESN, 0))) {
                throw new ProposalException("'" + spec + "': esn (extended sequence numbers) is not supported: sitelink's ESP "
                        + "counts packets in 32 bits and rekeys each CHILD SA long before they run out; write noesn or leave esn "
                        + "out (the peer must offer noesn too)");
            }
            transforms.remove(Transform.of(Ike.ESN, 1)); // esn-noesn: offer what we do, noesn
        }
        if (!ike && of(transforms, Ike.ESN).isEmpty()) {
            transforms.add(Transform.of(Ike.ESN, 0)); // as strongSwan proposes by default: no extended sequence numbers
        }
        return new Proposal(number, protocol, new byte[0], transforms);
    }

    /**
     * A hint for NO_PROPOSAL_CHOSEN when every ESP proposal of the peer's requires extended sequence numbers, which we
     * do not do; empty otherwise.
     */
    static String esnHint(List<Proposal> peers) {
        boolean onlyEsn = !peers.isEmpty() && peers.stream().allMatch(p -> {
            List<Transform> esn = of(p.transforms(), Ike.ESN);
            return !esn.isEmpty() && esn.stream().allMatch(t -> t.id() == 1);
        });
        return onlyEsn ? " (the peer requires extended sequence numbers, ESN, which sitelink does not do: let it offer noesn too)" : "";
    }

    private static List<Transform> of(List<Transform> ts, int type) {
        return ts.stream().filter(t -> t.type() == type).toList();
    }

    private static Transform transform(String token, boolean ike, String spec) throws ProposalException {
        if (ADDITIONAL_KE.matcher(token).matches()) { // RFC 9370 in strongSwan's syntax: ke1_mlkem768 is Additional Key Exchange 1
            Transform method = transform(token.substring(4), ike, spec);
            if (method.type() != Ike.DH) {
                throw new ProposalException("'" + spec + "': " + token + " names no key exchange method (e.g. ke1_mlkem768)");
            }
            return Transform.of(Ike.ADDKE1 + token.charAt(2) - '1', method.id());
        }
        String weak = switch (token) {
            case "md5", "hmacmd5" -> "sha256";
            case "sha1", "sha", "hmacsha1" -> "sha256 (or an AEAD such as aes256gcm16, which needs none)";
            case "prfmd5", "prfsha1" -> "prfsha256";
            case "des", "3des", "blowfish", "cast128" -> "aes256gcm16";
            case "modp768", "modp1024", "modp1536", "modp1024s160", "modp2048s224", "modp2048s256", "ecp192", "ecp224" -> "modp2048 or curve25519";
            case "aes128gcm8", "aes256gcm8", "aes128gcm12", "aes256gcm12", "aes128gcm64", "aes256gcm64", "aes128gcm96", "aes256gcm96" -> "aes256gcm16";
            default -> null;
        };
        if (weak != null) {
            throw new ProposalException("'" + spec + "': " + token + " is too weak for a site link and refused; use " + weak);
        }
        return switch (token) {
            case "aes128gcm16", "aes128gcm128", "aes128gcm" -> new Transform(Ike.ENCR, Ike.ENCR_AES_GCM_16, 128);
            case "aes192gcm16", "aes192gcm128", "aes192gcm" -> new Transform(Ike.ENCR, Ike.ENCR_AES_GCM_16, 192);
            case "aes256gcm16", "aes256gcm128", "aes256gcm" -> new Transform(Ike.ENCR, Ike.ENCR_AES_GCM_16, 256);
            case "chacha20poly1305" -> Transform.of(Ike.ENCR, Ike.ENCR_CHACHA20_POLY1305);
            case "aes128", "aes", "aes128cbc" -> new Transform(Ike.ENCR, Ike.ENCR_AES_CBC, 128);
            case "aes192", "aes192cbc" -> new Transform(Ike.ENCR, Ike.ENCR_AES_CBC, 192);
            case "aes256", "aes256cbc" -> new Transform(Ike.ENCR, Ike.ENCR_AES_CBC, 256);
            case "sha256", "sha2_256" -> Transform.of(Ike.INTEG, Ike.AUTH_HMAC_SHA2_256_128);
            case "sha384", "sha2_384" -> Transform.of(Ike.INTEG, Ike.AUTH_HMAC_SHA2_384_192);
            case "sha512", "sha2_512" -> Transform.of(Ike.INTEG, Ike.AUTH_HMAC_SHA2_512_256);
            case "prfsha256" -> Transform.of(Ike.PRF, Ike.PRF_HMAC_SHA2_256);
            case "prfsha384" -> Transform.of(Ike.PRF, Ike.PRF_HMAC_SHA2_384);
            case "prfsha512" -> Transform.of(Ike.PRF, Ike.PRF_HMAC_SHA2_512);
            case "modp2048" -> Transform.of(Ike.DH, Ike.MODP_2048);
            case "ecp256" -> Transform.of(Ike.DH, Ike.ECP_256);
            case "ecp384" -> Transform.of(Ike.DH, Ike.ECP_384);
            case "curve25519", "x25519" -> Transform.of(Ike.DH, Ike.CURVE25519);
            case "mlkem512" -> Transform.of(Ike.DH, Ike.ML_KEM_512);
            case "mlkem768" -> Transform.of(Ike.DH, Ike.ML_KEM_768);
            case "mlkem1024" -> Transform.of(Ike.DH, Ike.ML_KEM_1024);
            case "esn" -> Transform.of(Ike.ESN, 1);
            case "noesn" -> Transform.of(Ike.ESN, 0);
            default -> throw new ProposalException("'" + spec + "': unknown algorithm '" + token + "'"
                    + " (known: aes256gcm16, aes128gcm16, chacha20poly1305, aes256, aes128, sha256, sha384, sha512, prfsha256, prfsha384, prfsha512, modp2048, ecp256, ecp384, curve25519, ke1_mlkem768 (ke1_ to ke7_, mlkem512/768/1024)"
                    + (ike ? "" : ", esn, noesn") + ")");
        };
    }

    /**
     * Selects, as responder, the first of the peer's proposals (in the peer's order) that one of ours accepts: one
     * transform of each type ours names, none of a type ours does not name (ESN: absent counts as "no"). The result
     * keeps the peer's proposal number and SPI.
     */
    public static Optional<Proposal> select(List<Proposal> offered, List<Proposal> ours) {
        for (Proposal theirs : offered) {
            for (Proposal mine : ours) {
                if (theirs.protocol() != mine.protocol()) {
                    continue;
                }
                Optional<List<Transform>> chosen = match(theirs, mine);
                if (chosen.isPresent()) {
                    return Optional.of(new Proposal(theirs.number(), theirs.protocol(), theirs.spi(), chosen.get()));
                }
            }
        }
        return Optional.empty();
    }

    /** Every transform type a proposal can carry, in the order of the registry. */
    private static final int[] TYPES = {Ike.ENCR, Ike.PRF, Ike.INTEG, Ike.DH, Ike.ESN, 6, 7, 8, 9, 10, 11, 12};

    private static Optional<List<Transform>> match(Proposal theirs, Proposal mine) {
        List<Transform> chosen = new ArrayList<>();
        for (int type : TYPES) {
            List<Transform> t = theirs.all(type), m = mine.all(type);
            if (type == Ike.ESN && t.isEmpty() && m.stream().allMatch(x -> x.id() == 0)) {
                continue; // a peer that omits ESN means none
            }
            if (Ike.additionalKe(type) && m.isEmpty() && t.stream().anyMatch(x -> x.id() == 0)) {
                continue; // RFC 9370 section 2.2.1: NONE among the peer's choices makes this exchange optional
            }
            if (t.isEmpty() && m.isEmpty()) {
                continue;
            }
            Optional<Transform> both = m.stream().filter(t::contains).findFirst();
            if (both.isEmpty()) {
                return Optional.empty();
            }
            chosen.add(both.get());
        }
        return Optional.of(chosen);
    }

    /** Whether the responder's answer is one transform per type and all of them from one of our proposals. */
    public static boolean accepts(List<Proposal> ours, Proposal answer) {
        for (int type : TYPES) {
            if (answer.all(type).size() > 1) {
                return false;
            }
        }
        return select(List.of(answer), ours).map(chosen -> answer.transforms().stream()
                .allMatch(t -> chosen.transforms().contains(t) || (t.type() == Ike.ESN && t.id() == 0))).orElse(false);
    }

    /** Whether a proposal names an additional key exchange (RFC 9370): a hybrid, post-quantum one with ML-KEM. */
    public static boolean hybrid(Proposal p) {
        return p.transforms().stream().anyMatch(t -> Ike.additionalKe(t.type()) && t.id() != 0);
    }

    /**
     * The proposals for a site's {@code post_quantum} setting: {@code REQUIRED} adds ML-KEM-768 as the first
     * additional key exchange to every proposal with a classical group that names none; {@code PREFERRED} puts such a
     * hybrid copy of each classical proposal first and keeps the classical ones after them (a peer without ML-KEM
     * still agrees on one); {@code OFF} leaves them (and refuses none: {@link #postQuantumConflict} does).
     * Proposals without a group (ESP without PFS) are left as they are.
     */
    public static List<Proposal> postQuantum(PostQuantum mode, List<Proposal> proposals) {
        List<Proposal> hybrids = new ArrayList<>(), classical = new ArrayList<>();
        for (Proposal p : proposals) {
            if (hybrid(p) || p.dhGroup() == 0 || mode == PostQuantum.OFF) {
                (hybrid(p) ? hybrids : classical).add(p);
                continue;
            }
            List<Transform> ts = new ArrayList<>(p.transforms());
            int afterGroups = 0;
            for (int i = 0; i < ts.size(); i++) {
                afterGroups = ts.get(i).type() == Ike.DH ? i + 1 : afterGroups;
            }
            ts.add(afterGroups, Transform.of(Ike.ADDKE1, Ike.ML_KEM_768)); // as parsing ke1_mlkem768 after the groups puts it
            if (proposals.stream().noneMatch(q -> q.transforms().equals(ts))) { // already written out: not twice
                hybrids.add(new Proposal(0, p.protocol(), p.spi(), ts));
            }
            if (mode == PostQuantum.PREFERRED) {
                classical.add(p);
            }
        }
        List<Proposal> out = new ArrayList<>();
        for (Proposal p : hybrids) {
            out.add(p.withNumberAndSpi(out.size() + 1, p.spi()));
        }
        for (Proposal p : classical) {
            out.add(p.withNumberAndSpi(out.size() + 1, p.spi()));
        }
        return out;
    }

    /** Why proposals cannot go with the setting ({@code off} with a keN_ in them), or empty. */
    public static Optional<String> postQuantumConflict(PostQuantum mode, List<Proposal> proposals) {
        if (mode == PostQuantum.OFF) {
            return proposals.stream().filter(Proposals::hybrid).findFirst().map(p -> p + " names an additional key exchange, but"
                    + " post_quantum is off: remove the ke1_... part, or set post_quantum: preferred");
        }
        return Optional.empty();
    }
}
