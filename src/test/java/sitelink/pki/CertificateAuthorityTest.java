package sitelink.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.x509.CRLReason;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import sitelink.pki.CertificateAuthority.AltName;
import sitelink.pki.CertificateAuthority.Issued;

/** The CA's certificates and CRLs as the JDK's own PKIX validator (what IKEv2 authentication will use) sees them. */
class CertificateAuthorityTest {
    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    final SecureRandom random = new SecureRandom();

    /** The JDK's PKIX path validation of {@code cert} under {@code ca} at {@code at}, with CRLs when given. */
    static void validate(X509Certificate cert, X509Certificate ca, Instant at, List<X509CRL> crls) throws Exception {
        var path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert));
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setDate(Date.from(at));
        params.setRevocationEnabled(!crls.isEmpty());
        if (!crls.isEmpty()) {
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
        }
        CertPathValidator.getInstance("PKIX").validate(path, params);
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void everyKeyTypeMakesAChainThePkixValidatorAccepts(KeyType type) throws Exception {
        Issued ca = CertificateAuthority.newCa("Example CA", type, Duration.ofDays(3650), NOW, random);
        Issued gw = CertificateAuthority.issue(ca.certificate(), ca.privateKey(), "right.example",
                List.of(AltName.parse("dns:right.example"), AltName.parse("ip:203.0.113.2")), type,
                Duration.ofDays(730), NOW, random);
        validate(gw.certificate(), ca.certificate(), NOW, List.of());
        assertEquals(Optional.of(type), KeyType.of(gw.certificate().getPublicKey()));
        assertEquals(0, ca.certificate().getBasicConstraints(), "a CA for gateways, path length 0");
        assertEquals(-1, gw.certificate().getBasicConstraints(), "a gateway certificate is no CA");
        assertTrue(CertificateAuthority.matches(gw.certificate().getPublicKey(), gw.privateKey()));
        assertEquals(List.of("dns:right.example", "ip:203.0.113.2"), Describe.altNames(gw.certificate()));
    }

    @Test
    void aRevokedCertificateIsRefusedByThePkixValidatorAndOthersStillPass() throws Exception {
        Issued ca = CertificateAuthority.newCa("Example CA", KeyType.ECDSA_P256, Duration.ofDays(3650), NOW, random);
        Issued a = issue(ca, "left.example");
        Issued b = issue(ca, "right.example");
        X509CRL empty = CertificateAuthority.revoke(ca.certificate(), ca.privateKey(), Optional.empty(), null, 0, NOW);
        validate(a.certificate(), ca.certificate(), NOW.plusSeconds(60), List.of(empty));

        X509CRL crl = CertificateAuthority.revoke(ca.certificate(), ca.privateKey(), Optional.of(empty),
                a.certificate().getSerialNumber(), CRLReason.keyCompromise, NOW.plusSeconds(60));
        assertEquals(Optional.of(BigInteger.TWO), CertificateAuthority.crlNumber(crl));
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class,
                () -> validate(a.certificate(), ca.certificate(), NOW.plusSeconds(120), List.of(crl)));
        assertEquals(CertPathValidatorException.BasicReason.REVOKED, e.getReason(), e.getMessage());
        validate(b.certificate(), ca.certificate(), NOW.plusSeconds(120), List.of(crl));

        X509CRL later = CertificateAuthority.revoke(ca.certificate(), ca.privateKey(), Optional.of(crl),
                b.certificate().getSerialNumber(), CRLReason.superseded, NOW.plusSeconds(180));
        assertEquals(List.of(a.certificate().getSerialNumber(), b.certificate().getSerialNumber()).stream().sorted().toList(),
                CertificateAuthority.revokedSerials(later).stream().sorted().toList(), "earlier entries are kept");
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> CertificateAuthority.revoke(
                ca.certificate(), ca.privateKey(), Optional.of(later), b.certificate().getSerialNumber(), 0, NOW));
        assertTrue(twice.getMessage().contains("was revoked already"), twice.getMessage());
    }

    @Test
    void anExpiredOrNotYetValidCertificateIsRefused() throws Exception {
        Issued ca = CertificateAuthority.newCa("Example CA", KeyType.ECDSA_P256, Duration.ofDays(3650), NOW, random);
        Issued gw = CertificateAuthority.issue(ca.certificate(), ca.privateKey(), "right.example",
                List.of(AltName.implied("right.example")), KeyType.ECDSA_P256, Duration.ofDays(30), NOW, random);
        validate(gw.certificate(), ca.certificate(), NOW.minus(CertificateAuthority.BACKDATE), List.of());
        CertPathValidatorException expired = assertThrows(CertPathValidatorException.class,
                () -> validate(gw.certificate(), ca.certificate(), NOW.plus(Duration.ofDays(31)), List.of()));
        assertEquals(CertPathValidatorException.BasicReason.EXPIRED, expired.getReason());
        assertTrue(Describe.expiry(gw.certificate(), NOW.plus(Duration.ofDays(33))).startsWith("EXPIRED 3 days ago"));
        assertTrue(Describe.expiry(gw.certificate(), NOW).startsWith("expires in 30 days"));
        CertPathValidatorException early = assertThrows(CertPathValidatorException.class,
                () -> validate(gw.certificate(), ca.certificate(), NOW.minus(Duration.ofHours(1)), List.of()));
        assertEquals(CertPathValidatorException.BasicReason.NOT_YET_VALID, early.getReason());
    }

    @Test
    void anotherCasCertificateDoesNotValidate() throws Exception {
        Issued ca = CertificateAuthority.newCa("Example CA", KeyType.ECDSA_P256, Duration.ofDays(3650), NOW, random);
        Issued other = CertificateAuthority.newCa("Example CA", KeyType.ECDSA_P256, Duration.ofDays(3650), NOW, random);
        Issued gw = issue(other, "right.example");
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class,
                () -> validate(gw.certificate(), ca.certificate(), NOW, List.of()));
        assertTrue(e.getReason() == CertPathValidatorException.BasicReason.INVALID_SIGNATURE
                || e.getReason() == PKIXReason.NO_TRUST_ANCHOR, "same name, other key: " + e.getReason());
    }

    @Test
    void misuseIsRefusedWithTheReason() {
        Issued ca = CertificateAuthority.newCa("Example CA", KeyType.ECDSA_P256, Duration.ofDays(365), NOW, random);
        Issued other = CertificateAuthority.newCa("Other CA", KeyType.ECDSA_P256, Duration.ofDays(365), NOW, random);
        Issued gw = issue(ca, "right.example");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CertificateAuthority.issue(ca.certificate(),
                other.privateKey(), "x.example", List.of(AltName.implied("x.example")), KeyType.ECDSA_P256,
                Duration.ofDays(30), NOW, random)).getMessage().contains("does not belong to the CA certificate"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CertificateAuthority.issue(gw.certificate(),
                gw.privateKey(), "x.example", List.of(AltName.implied("x.example")), KeyType.ECDSA_P256,
                Duration.ofDays(30), NOW, random)).getMessage().contains("is not a CA certificate"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CertificateAuthority.issue(ca.certificate(),
                ca.privateKey(), "x.example", List.of(AltName.implied("x.example")), KeyType.ECDSA_P256,
                Duration.ofDays(400), NOW, random)).getMessage().contains("would outlive its CA"));
        X509CRL foreign = CertificateAuthority.revoke(other.certificate(), other.privateKey(), Optional.empty(), null, 0, NOW);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CertificateAuthority.revoke(ca.certificate(),
                ca.privateKey(), Optional.of(foreign), BigInteger.TEN, 0, NOW)).getMessage()
                .contains("not signed by this CA"));
    }

    @Test
    void altNamesAreParsedStrictlyWithoutNameLookups() {
        assertEquals("ip:2001:db8:0:0:0:0:0:1", AltName.parse("ip:2001:db8::1").toString());
        assertEquals("ip:203.0.113.2", AltName.implied("203.0.113.2").toString());
        assertEquals("email:ops@right.example", AltName.implied("ops@right.example").toString());
        assertEquals("dns:right.example", AltName.implied("Right.Example").toString());
        for (String bad : List.of("dns:-bad.example", "dns:a..example", "ip:right.example", "ip:300.1.1.1",
                "email:no-at", "email:a@b@c", "uri:x", "right.example")) {
            assertThrows(IllegalArgumentException.class, () -> AltName.parse(bad), bad);
        }
        assertFalse(CertificateAuthority.ipLiteral("localhost").isPresent(), "a name, not looked up");
    }

    @Test
    void subjectsAreACommonNameOrAFullDn() {
        assertEquals("CN=right.example", CertificateAuthority.subject("right.example").toString());
        assertEquals("O=Example,CN=Example CA", CertificateAuthority.subject("O=Example, CN=Example CA").toString());
        assertThrows(IllegalArgumentException.class, () -> CertificateAuthority.subject("  "));
    }

    private Issued issue(Issued ca, String name) {
        return CertificateAuthority.issue(ca.certificate(), ca.privateKey(), name, List.of(AltName.implied(name)),
                KeyType.ECDSA_P256, Duration.ofDays(365), NOW, random);
    }
}
