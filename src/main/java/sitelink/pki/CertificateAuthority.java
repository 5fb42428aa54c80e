package sitelink.pki;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small certificate authority for a site network, as strongSwan's {@code pki} offers: a self-signed CA, gateway
 * certificates with subjectAltNames for IKEv2 identities, and a CRL. Certificates are built with Bouncy Castle (the
 * JDK validates certificates but cannot make them) and signed through the JDK's signature providers. Pure: time and
 * randomness are parameters, files are {@link PemFiles}' business.
 */
public final class CertificateAuthority {
    /**
     * Certificates start this long before they are made, so a peer whose clock is a little behind does not refuse a
     * certificate that is "not yet valid" in the first minutes.
     */
    public static final Duration BACKDATE = Duration.ofMinutes(5);
    /** How long a CRL is valid before the CA must sign a new one (revoke, or {@code pki revoke --renew}). */
    public static final Duration CRL_VALIDITY = Duration.ofDays(30);
    private static final Pattern DNS = Pattern.compile("(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*"
            + "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", Pattern.CASE_INSENSITIVE);

    private CertificateAuthority() {
    }

    /** A subjectAltName: {@code dns:right.example}, {@code ip:203.0.113.2}, {@code email:ops@right.example}. */
    public record AltName(int tag, String value) {
        public static AltName parse(String text) {
            int colon = text.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("subjectAltName '" + text + "' names no type; write dns:NAME, "
                        + "ip:ADDRESS or email:ADDRESS");
            }
            String type = text.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = text.substring(colon + 1).trim();
            return switch (type) {
                case "dns", "fqdn" -> dns(value);
                case "ip" -> ip(value);
                case "email", "rfc822" -> email(value);
                default -> throw new IllegalArgumentException("subjectAltName type '" + type + "' is not one of dns, "
                        + "ip, email");
            };
        }

        /** The subjectAltName a plain identity implies: an address is an IP, one with an @ an email, else DNS. */
        public static AltName implied(String identity) {
            return ipLiteral(identity).isPresent() ? ip(identity) : identity.contains("@") ? email(identity)
                    : dns(identity);
        }

        static AltName dns(String v) {
            if (!DNS.matcher(v).matches() || v.length() > 253) {
                throw new IllegalArgumentException("'" + v + "' is not a DNS name");
            }
            return new AltName(GeneralName.dNSName, v.toLowerCase(Locale.ROOT));
        }

        static AltName ip(String v) {
            InetAddress a = ipLiteral(v).orElseThrow(() -> new IllegalArgumentException("'" + v
                    + "' is not an IPv4 or IPv6 address"));
            return new AltName(GeneralName.iPAddress, a.getHostAddress());
        }

        static AltName email(String v) {
            int at = v.indexOf('@');
            if (at <= 0 || at != v.lastIndexOf('@') || at == v.length() - 1 || v.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("'" + v + "' is not an email address");
            }
            return new AltName(GeneralName.rfc822Name, v);
        }

        GeneralName generalName() {
            return new GeneralName(tag, value);
        }

        @Override
        public String toString() {
            return (tag == GeneralName.dNSName ? "dns:" : tag == GeneralName.iPAddress ? "ip:" : "email:") + value;
        }
    }

    /** A literal address only: never a name lookup. */
    static Optional<InetAddress> ipLiteral(String s) {
        try {
            return Optional.of(InetAddress.ofLiteral(s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** A subject: a full DN ("C=CH, O=Example, CN=right.example") when it has an '=', else CN=name. */
    public static X500Name subject(String nameOrDn) {
        String s = nameOrDn.trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("an empty name");
        }
        try {
            return s.contains("=") ? new X500Name(s) : new X500Name(new org.bouncycastle.asn1.x500.RDN[] {
                    new org.bouncycastle.asn1.x500.RDN(org.bouncycastle.asn1.x500.style.BCStyle.CN,
                            new org.bouncycastle.asn1.DERUTF8String(s))});
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + s + "' is not a distinguished name: " + e.getMessage(), e);
        }
    }

    /** A new certificate and the key it certifies. */
    public record Issued(X509Certificate certificate, PrivateKey privateKey) {
    }

    /**
     * A self-signed CA: basicConstraints CA with path length 0 (it signs gateway certificates, not other CAs),
     * keyUsage keyCertSign and cRLSign.
     */
    public static Issued newCa(String nameOrDn, KeyType type, Duration validity, Instant now, SecureRandom random) {
        KeyPair kp = type.generate(random);
        X500Name name = subject(nameOrDn);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(random),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(validity)), name, kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            return new Issued(sign(b, kp.getPrivate()), kp.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot build the CA certificate: " + e.getMessage(), e);
        }
    }

    /**
     * A gateway certificate signed by the CA: the subject, its subjectAltNames (the IKEv2 identities it may use),
     * keyUsage digitalSignature (and keyEncipherment for RSA, which some appliances insist on), extendedKeyUsage
     * serverAuth and clientAuth (Windows and macOS clients and several firewalls require them; strongSwan ignores
     * them), and the key identifiers that let a peer find the issuer.
     */
    public static Issued issue(X509Certificate caCert, PrivateKey caKey, String nameOrDn, List<AltName> altNames,
                               KeyType type, Duration validity, Instant now, SecureRandom random) {
        requireCa(caCert, caKey);
        if (altNames.isEmpty()) {
            throw new IllegalArgumentException("a gateway certificate needs at least one subjectAltName: IKEv2 peers "
                    + "match identities against them");
        }
        Instant notAfter = now.plus(validity);
        if (notAfter.isAfter(caCert.getNotAfter().toInstant())) {
            throw new IllegalArgumentException("the certificate would outlive its CA (the CA expires "
                    + caCert.getNotAfter().toInstant() + "); issue it for fewer days or renew the CA first");
        }
        KeyPair kp = type.generate(random);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            GeneralName[] names = altNames.stream().map(AltName::generalName).toArray(GeneralName[]::new);
            int usage = KeyUsage.digitalSignature | (type.name().startsWith("RSA") ? KeyUsage.keyEncipherment : 0);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert, serial(random),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter), subject(nameOrDn), kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                            KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
            return new Issued(sign(b, caKey), kp.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot build the certificate: " + e.getMessage(), e);
        }
    }

    /**
     * The CA's CRL with {@code serial} added (or only renewed when {@code serial} is null): entries of the previous
     * CRL kept, the CRL number one higher, valid for {@link #CRL_VALIDITY}. The previous CRL must be the CA's own.
     *
     * @throws IllegalArgumentException when the serial is listed already
     */
    public static X509CRL revoke(X509Certificate caCert, PrivateKey caKey, Optional<X509CRL> previous,
                                 BigInteger serial, int reason, Instant now) {
        requireCa(caCert, caKey);
        BigInteger number = BigInteger.ONE;
        if (previous.isPresent()) {
            X509CRL old = previous.get();
            try {
                old.verify(caCert.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("the CRL was not signed by this CA (" + e.getMessage() + ")", e);
            }
            if (serial != null && old.getRevokedCertificate(serial) != null) {
                X509CRLEntry e = old.getRevokedCertificate(serial);
                throw new IllegalArgumentException("serial " + Describe.serial(serial) + " was revoked already, on "
                        + e.getRevocationDate().toInstant());
            }
            number = crlNumber(old).map(n -> n.add(BigInteger.ONE)).orElse(BigInteger.ONE);
        }
        try {
            X509v2CRLBuilder b = new JcaX509v2CRLBuilder(caCert, Date.from(now));
            b.setNextUpdate(Date.from(now.plus(CRL_VALIDITY)));
            if (previous.isPresent()) {
                b.addCRL(new org.bouncycastle.cert.X509CRLHolder(previous.get().getEncoded()));
            }
            if (serial != null) {
                b.addCRLEntry(serial, Date.from(now), reason);
            }
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCert));
            return new JcaX509CRLConverter().getCRL(b.build(signer(caKey)));
        } catch (GeneralSecurityException | java.io.IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot build the CRL: " + e.getMessage(), e);
        }
    }

    static Optional<BigInteger> crlNumber(X509CRL crl) {
        byte[] v = crl.getExtensionValue(Extension.cRLNumber.getId());
        if (v == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ASN1Integer.getInstance(
                    org.bouncycastle.asn1.ASN1OctetString.getInstance(v).getOctets()).getValue());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The revocation reasons of RFC 5280 section 5.3.1 that an operator names, as {@code --reason} takes them. */
    public static int reason(String name) {
        return switch (name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "")) {
            case "unspecified" -> CRLReason.unspecified;
            case "keycompromise" -> CRLReason.keyCompromise;
            case "cacompromise" -> CRLReason.cACompromise;
            case "affiliationchanged" -> CRLReason.affiliationChanged;
            case "superseded" -> CRLReason.superseded;
            case "cessationofoperation" -> CRLReason.cessationOfOperation;
            default -> throw new IllegalArgumentException("revocation reason '" + name + "' is not one of "
                    + "unspecified, key-compromise, ca-compromise, affiliation-changed, superseded, "
                    + "cessation-of-operation");
        };
    }

    private static void requireCa(X509Certificate caCert, PrivateKey caKey) {
        if (caCert.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("the certificate " + caCert.getSubjectX500Principal().getName()
                    + " is not a CA certificate (no basicConstraints CA:true)");
        }
        if (!matches(caCert.getPublicKey(), caKey)) {
            throw new IllegalArgumentException("the CA key does not belong to the CA certificate "
                    + caCert.getSubjectX500Principal().getName());
        }
    }

    /** Whether the private key is the one of the public key: a test signature, whatever the key type. */
    static boolean matches(PublicKey pub, PrivateKey priv) {
        Optional<KeyType> t = KeyType.of(priv);
        if (t.isEmpty()) {
            return false;
        }
        try {
            byte[] probe = "sitelink pki key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.security.Signature s = java.security.Signature.getInstance(t.get().signatureAlgorithm());
            s.initSign(priv);
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(pub);
            s.update(probe);
            return s.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** 16 random bytes, positive: unpredictable (RFC 5280 allows up to 20 octets). */
    private static BigInteger serial(SecureRandom random) {
        byte[] b = new byte[16];
        random.nextBytes(b);
        b[0] &= 0x7f;
        b[0] |= 0x40; // never a short serial
        return new BigInteger(1, b);
    }

    private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
        KeyType t = KeyType.of(key).orElseThrow(() -> new IllegalArgumentException("the CA key is of a type sitelink "
                + "does not sign with (" + KeyType.describe(key) + "); use one of " + KeyType.options()));
        return new JcaContentSignerBuilder(t.signatureAlgorithm()).build(key);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(signer(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    /** The serials a CRL lists. */
    public static List<BigInteger> revokedSerials(X509CRL crl) {
        List<BigInteger> out = new ArrayList<>();
        if (crl.getRevokedCertificates() != null) {
            crl.getRevokedCertificates().forEach(e -> out.add(e.getSerialNumber()));
        }
        return out;
    }
}
