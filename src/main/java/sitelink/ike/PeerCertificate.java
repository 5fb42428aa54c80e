package sitelink.ike;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import sitelink.pki.Describe;

/**
 * The peer's certificate, checked before its AUTH: the CERT payloads decoded, put in order from the peer's own
 * certificate up to one of our trust anchors, validated by the JDK's PKIX validator at the session clock's time with
 * the configured CRLs (no network fetching: the JDK fetches CRL distribution points only when told to), and the
 * peer's IKE identity found in the certificate. Each refusal says which and why, in words a log line can carry.
 */
final class PeerCertificate {
    private PeerCertificate() {
    }

    /** The peer's certificate was accepted, or why not. */
    sealed interface Verdict {
        record Accepted(X509Certificate certificate) implements Verdict {
        }

        record Refused(IkeFailure reason, String detail) implements Verdict {
        }
    }

    static Verdict check(List<Payload.Cert> payloads, IkeId peerId, IkeCertificates ours, Instant now) {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> received = decode(payloads);
            if (received.isEmpty()) {
                return new Verdict.Refused(IkeFailure.CERTIFICATE_UNTRUSTED, "the peer " + peerId + " sent no X.509 certificate"
                        + (payloads.isEmpty() ? "" : " (only CERT encodings " + payloads.stream().map(Payload.Cert::encoding).toList() + ")"));
            }
            X509Certificate peer = received.get(0);
            Optional<String> badKey = SignatureAuth.unsupportedKey(peer.getPublicKey());
            if (badKey.isPresent()) {
                return new Verdict.Refused(IkeFailure.CERTIFICATE_UNTRUSTED, "certificate of " + name(peer) + " has " + badKey.get());
            }
            List<X509Certificate> path = ordered(received, ours.trustAnchors());
            Optional<Verdict.Refused> invalid = validate(factory.generateCertPath(path), ours, now);
            if (invalid.isPresent()) {
                return invalid.get();
            }
            if (!names(peer, peerId)) {
                return new Verdict.Refused(IkeFailure.ID_MISMATCH, "the peer identifies as " + peerId + ", but its certificate ("
                        + peer.getSubjectX500Principal().getName() + ") names only " + Describe.altNames(peer)
                        + (peerId.idType() == Ike.ID_DER_ASN1_DN ? "" : " as subjectAltNames"));
            }
            return new Verdict.Accepted(peer);
        } catch (CertificateException e) {
            return new Verdict.Refused(IkeFailure.CERTIFICATE_UNTRUSTED, "the peer " + peerId + " sent an unreadable certificate ("
                    + e.getMessage() + ")");
        }
    }

    /** The X.509 certificates among the CERT payloads, in the order the peer sent them (its own first). */
    static List<X509Certificate> decode(List<Payload.Cert> payloads) throws CertificateException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> received = new ArrayList<>();
        for (Payload.Cert p : payloads) {
            if (p.encoding() == Ike.CERT_X509_SIGNATURE) {
                received.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(p.data())));
            }
        }
        return received;
    }

    /**
     * Whether certificates the peer was accepted with ({@code received}, as {@link #decode} gave them) are revoked now by
     * the CRLs of {@code ours}: the path validated again, and only a revocation counts (an expiry during the IKE SA
     * does not end it, as in IKE_AUTH's rules). The refusal as IKE_AUTH would have named it, or empty.
     */
    static Optional<Verdict.Refused> revoked(List<X509Certificate> received, IkeCertificates ours, Instant now) {
        if (received.isEmpty() || ours.crls().isEmpty()) {
            return Optional.empty();
        }
        try {
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(ordered(received, ours.trustAnchors()));
            return validate(path, ours, now).filter(r -> r.reason() == IkeFailure.CERTIFICATE_REVOKED);
        } catch (CertificateException e) {
            return Optional.empty();
        }
    }

    /** From the peer's certificate up through the intermediates it sent, stopping below a trust anchor. */
    private static List<X509Certificate> ordered(List<X509Certificate> received, List<X509Certificate> anchors) {
        List<X509Certificate> path = new ArrayList<>(List.of(received.get(0)));
        X509Certificate top = received.get(0);
        while (path.size() < received.size()) {
            X500Principal issuer = top.getIssuerX500Principal();
            if (anchors.stream().anyMatch(a -> a.getSubjectX500Principal().equals(issuer))) {
                break;
            }
            Optional<X509Certificate> next = received.stream()
                    .filter(c -> !path.contains(c) && c.getSubjectX500Principal().equals(issuer)).findFirst();
            if (next.isEmpty()) {
                break;
            }
            path.add(next.get());
            top = next.get();
        }
        return path;
    }

    private static Optional<Verdict.Refused> validate(CertPath path, IkeCertificates ours, Instant now) {
        try {
            PKIXParameters params = new PKIXParameters(ours.trustAnchors().stream()
                    .map(a -> new TrustAnchor(a, null)).collect(Collectors.toSet()));
            params.setDate(Date.from(now));
            if (ours.crls().isEmpty()) {
                params.setRevocationEnabled(false);
            } else {
                // CRLs only, from the configured ones; a CA without a CRL here is not an error (as strongSwan without strict)
                PKIXRevocationChecker checker = (PKIXRevocationChecker) CertPathValidator.getInstance("PKIX").getRevocationChecker();
                checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK,
                        PKIXRevocationChecker.Option.SOFT_FAIL));
                params.addCertPathChecker(checker);
                params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(ours.crls())));
            }
            CertPathValidator.getInstance("PKIX").validate(path, params);
            return Optional.empty();
        } catch (CertPathValidatorException e) {
            return Optional.of(refusal(e, path, ours, now));
        } catch (GeneralSecurityException e) {
            return Optional.of(new Verdict.Refused(IkeFailure.CERTIFICATE_UNTRUSTED, "the peer's certificate cannot be checked: " + e.getMessage()));
        }
    }

    private static Verdict.Refused refusal(CertPathValidatorException e, CertPath path, IkeCertificates ours, Instant now) {
        @SuppressWarnings("unchecked")
        List<X509Certificate> certs = (List<X509Certificate>) path.getCertificates();
        int index = e.getIndex() >= 0 && e.getIndex() < certs.size() ? e.getIndex() : certs.size() - 1;
        X509Certificate c = certs.get(index);
        String of = "certificate of " + name(c);
        if (e.getReason() == CertPathValidatorException.BasicReason.REVOKED) {
            BigInteger serial = c.getSerialNumber();
            Optional<X509CRL> crl = ours.crls().stream().filter(x -> x.getIssuerX500Principal().equals(c.getIssuerX500Principal())
                    && x.getRevokedCertificate(serial) != null).findFirst();
            return new Verdict.Refused(IkeFailure.CERTIFICATE_REVOKED, of + " revoked (serial " + Describe.serial(serial)
                    + crl.map(x -> ", CRL of " + name(x.getIssuerX500Principal()) + " updated "
                            + x.getThisUpdate().toInstant().toString().substring(0, 10)).orElse("") + ")");
        }
        if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
            return new Verdict.Refused(IkeFailure.CERTIFICATE_EXPIRED, of + " expired on "
                    + Describe.time(c.getNotAfter().toInstant()) + " (now " + Describe.time(now) + ")");
        }
        if (e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return new Verdict.Refused(IkeFailure.CERTIFICATE_EXPIRED, of + " is not yet valid: from "
                    + Describe.time(c.getNotBefore().toInstant()) + " (now " + Describe.time(now) + "; is a clock wrong?)");
        }
        String anchors = ours.trustAnchors().stream().map(a -> name(a.getSubjectX500Principal())).toList().toString();
        if (e.getReason() == PKIXReason.NO_TRUST_ANCHOR) {
            X509Certificate top = certs.get(certs.size() - 1);
            if (ours.trustAnchors().stream().anyMatch(a -> a.getSubjectX500Principal().equals(top.getIssuerX500Principal()))) {
                return new Verdict.Refused(IkeFailure.CERTIFICATE_UNTRUSTED, "wrongly signed: " + (top == c ? of : "certificate of "
                        + name(top)) + " names " + name(top.getIssuerX500Principal()) + " as its issuer, but does not verify with"
                        + " that CA's key (a forgery, or a CA of the same name)");
            }
            return new Verdict.Refused(IkeFailure.CERTIFICATE_UNTRUSTED, "unknown CA: " + of + " chains to "
                    + top.getIssuerX500Principal().getName() + ", which is none of this site's CAs " + anchors);
        }
        if (e.getReason() == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return new Verdict.Refused(IkeFailure.CERTIFICATE_UNTRUSTED, "wrongly signed: " + of + " does not verify with the key of "
                    + c.getIssuerX500Principal().getName() + " (this site's CAs " + anchors + ")");
        }
        return new Verdict.Refused(IkeFailure.CERTIFICATE_UNTRUSTED, of + " refused: " + e.getMessage()
                + (e.getReason() == null ? "" : " (" + e.getReason().toString().toLowerCase(Locale.ROOT).replace('_', ' ') + ")"));
    }

    /** Whether the certificate names {@code id}: as a subjectAltName of its type, or as the subject for a DN. */
    static boolean names(X509Certificate cert, IkeId id) {
        if (id.idType() == Ike.ID_DER_ASN1_DN) {
            return id.principal().map(p -> p.equals(cert.getSubjectX500Principal())).orElse(false);
        }
        int sanType = switch (id.idType()) {
            case Ike.ID_FQDN -> 2;
            case Ike.ID_RFC822_ADDR -> 1;
            case Ike.ID_IPV4_ADDR, Ike.ID_IPV6_ADDR -> 7;
            default -> -1;
        };
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans == null || sanType < 0) {
                return false;
            }
            for (List<?> san : sans) {
                if ((Integer) san.get(0) != sanType) {
                    continue;
                }
                String value = (String) san.get(1);
                if (sanType == 7) {
                    if (java.util.Arrays.equals(InetAddress.getByName(value).getAddress(), id.data())) { // a literal: no lookup
                        return true;
                    }
                } else if (value.equalsIgnoreCase(new String(id.data(), StandardCharsets.UTF_8))) {
                    return true;
                }
            }
            return false;
        } catch (java.security.cert.CertificateParsingException | java.net.UnknownHostException e) {
            return false;
        }
    }

    /** The common name, or the whole DN when there is none: "right.example", "Example CA". */
    static String name(X509Certificate c) {
        return name(c.getSubjectX500Principal());
    }

    static String name(X500Principal p) {
        try {
            for (Rdn rdn : new LdapName(p.getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            // fall through: the whole name
        }
        return p.getName();
    }
}
