package sitelink.ike;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * IKE_AUTH's authentication for one remote site (RFC 7296 section 2.15): with a pre-shared key, its MAC; with
 * certificates, our CERT payloads and signature ({@link SignatureAuth}) and the peer's certificate checked
 * ({@link PeerCertificate}) before its signature. Holds no state of its own; the session passes its keys and what the
 * peer announced.
 */
final class IkeAuth {
    private final IkeConfig config;

    IkeAuth(IkeConfig config) {
        this.config = config;
    }

    /**
     * Whether the peer proved it is the site we expect: its ID is ours for it, and its AUTH verifies with the PSK, or
     * (with certificates) its certificate is valid, names that ID and its key signed {@code peerFirstMessage | ourNonce |
     * prf(SK_p, ID)}. Empty when it did; else the failure, named.
     */
    Optional<IkeAction.Failed> verifyPeer(IkeKeys keys, List<Integer> peerHashes, Instant now, IkeMessage m, Payload.Identification id,
                                          Payload.Authentication auth, byte[] peerFirstMessage, byte[] ourNonce, boolean peerIsInitiator) {
        IkeId peerId = IkeId.of(id);
        if (!peerId.sameAs(config.remoteId())) {
            return Optional.of(new IkeAction.Failed(IkeFailure.ID_MISMATCH, "the peer identifies as " + peerId
                    + ", this site expects " + config.remoteId()));
        }
        if (config.certificates().isEmpty()) {
            byte[] expected = keys.pskAuth(config.psk(), peerFirstMessage, ourNonce, peerIsInitiator, id);
            if (auth.method() != Ike.AUTH_SHARED_KEY_MIC || !MessageDigest.isEqual(expected, auth.data())) {
                return Optional.of(new IkeAction.Failed(IkeFailure.AUTHENTICATION_FAILED, auth.method() == Ike.AUTH_SHARED_KEY_MIC
                        ? "the peer's AUTH does not verify with this site's pre-shared key (the keys differ)"
                        : "the peer authenticates with AUTH method " + auth.method() + " (a signature?), this site with a pre-shared key"));
            }
            return Optional.empty();
        }
        switch (PeerCertificate.check(m.all(Payload.Cert.class), peerId, config.certificates().get(), now)) {
            case PeerCertificate.Verdict.Refused r -> {
                return Optional.of(new IkeAction.Failed(r.reason(), r.detail()));
            }
            case PeerCertificate.Verdict.Accepted a -> {
                byte[] octets = keys.signedOctets(peerFirstMessage, ourNonce, peerIsInitiator, id);
                return SignatureAuth.verify(a.certificate().getPublicKey(), auth, octets, !peerHashes.isEmpty())
                        .map(why -> new IkeAction.Failed(IkeFailure.AUTHENTICATION_FAILED, why + " (certificate of "
                                + PeerCertificate.name(a.certificate()) + ")"));
            }
        }
    }

    /** The X.509 certificates the peer sent in {@code m}, its own first; empty without any (or when one is unreadable). */
    static List<java.security.cert.X509Certificate> peerCertificates(IkeMessage m) {
        try {
            return PeerCertificate.decode(m.all(Payload.Cert.class));
        } catch (java.security.cert.CertificateException e) {
            return List.of();
        }
    }

    /**
     * With certificates: whether the CRLs of {@code withCrls} now revoke the certificates the peer authenticated with
     * ({@code peerCertificates}), named as IKE_AUTH's refusal would be; empty when not (or with a PSK).
     */
    static Optional<IkeAction.Failed> revoked(List<java.security.cert.X509Certificate> peerCertificates,
                                              IkeCertificates withCrls, Instant now) {
        return PeerCertificate.revoked(peerCertificates, withCrls, now).map(r -> new IkeAction.Failed(r.reason(), r.detail()));
    }

    /** Our AUTH payload: the PSK's MAC, or a signature with our key (RFC 7427 when the peer announced it). */
    SignatureAuth.Result ours(IkeKeys keys, List<Integer> peerHashes, byte[] ownFirstMessage, byte[] peerNonce, boolean weAreInitiator,
                              Payload.Identification id) {
        if (config.certificates().isEmpty()) {
            return new SignatureAuth.Result.Signed(new Payload.Authentication(Ike.AUTH_SHARED_KEY_MIC,
                    keys.pskAuth(config.psk(), ownFirstMessage, peerNonce, weAreInitiator, id)));
        }
        IkeCertificates c = config.certificates().get();
        return SignatureAuth.sign(c.privateKey(), keys.signedOctets(ownFirstMessage, peerNonce, weAreInitiator, id), peerHashes,
                c.rsaPss());
    }

    /** What we can say when the peer answers AUTHENTICATION_FAILED. */
    String refusedByPeer() {
        return config.certificates().isPresent()
                ? "the peer refused our authentication: it does not accept our certificate (its CA, validity or revocation),"
                        + " or does not expect our ID " + config.localId()
                        + (config.certificates().get().privateKey() instanceof java.security.interfaces.RSAKey
                                && !config.certificates().get().rsaPss()
                                ? ", or it requires RSASSA-PSS signatures (then set rsa_pss: yes)" : "")
                : "the peer refused our authentication: the pre-shared keys differ, or the peer does not expect our ID " + config.localId();
    }

    /** CERT payloads of our chain (X.509 signature, encoding 4); none with a PSK. */
    List<Payload> certificates() {
        List<Payload> p = new ArrayList<>();
        config.certificates().ifPresent(c -> c.toSend().forEach(x -> {
            try {
                p.add(new Payload.Cert(Ike.CERT_X509_SIGNATURE, x.getEncoded()));
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalStateException("a parsed certificate does not encode", e);
            }
        }));
        return p;
    }

    /** The hashes of the peer's SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 4); empty when it sent none. */
    static List<Integer> peerHashes(IkeMessage m) {
        return m.notify(Ike.SIGNATURE_HASH_ALGORITHMS).map(n -> SignatureAuth.hashes(n.data())).orElse(List.of());
    }
}
