package sitelink.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x509.CRLReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sitelink.pki.CertificateAuthority;
import sitelink.pki.CertificateAuthority.AltName;
import sitelink.pki.CertificateAuthority.Issued;
import sitelink.pki.KeyType;

/**
 * Certificate authentication between two sessions in memory: certificates made in the test by sitelink's own CA
 * code at the fake clock's time, both sides' refusals named (revoked, expired, not yet valid, unknown CA, wrongly
 * signed, an ID the certificate does not name).
 */
class IkeCertificateTest {
    static final SecureRandom RANDOM = new SecureRandom();
    static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z"); // FakeClock's wall time at the start

    /** A CA and the two gateways' certificates: left (A, 198.51.100.1) and right (B, 198.51.100.2). */
    record Pki(Issued ca, Issued left, Issued right) {
        static Pki of(KeyType type) {
            return of(type, type, Duration.ofDays(365), NOW);
        }

        static Pki of(KeyType caType, KeyType gwType, Duration validity, Instant issued) {
            Issued ca = CertificateAuthority.newCa("Example CA", caType, Duration.ofDays(3650), issued, RANDOM);
            return new Pki(ca, gateway(ca, "left.example", "198.51.100.1", gwType, validity, issued),
                    gateway(ca, "right.example", "198.51.100.2", gwType, validity, issued));
        }

        static Issued gateway(Issued ca, String name, String ip, KeyType type, Duration validity, Instant issued) {
            return CertificateAuthority.issue(ca.certificate(), ca.privateKey(), name,
                    List.of(AltName.parse("dns:" + name), AltName.parse("ip:" + ip)), type, validity, issued, RANDOM);
        }

        IkeCertificates creds(Issued own, List<X509CRL> crls) {
            return new IkeCertificates(List.of(own.certificate()), own.privateKey(), List.of(ca.certificate()), crls);
        }

        X509CRL revoking(Issued gw) {
            return CertificateAuthority.revoke(ca.certificate(), ca.privateKey(), Optional.empty(),
                    gw.certificate().getSerialNumber(), CRLReason.keyCompromise, NOW);
        }
    }

    static IkeConfig config(InetSocketAddress local, InetSocketAddress remote, IkeCertificates creds, String localId, String remoteId) {
        return IkePair.config(local, remote).certificates(creds).ids(localId, remoteId).build();
    }

    static IkePair pair(Pki pki, List<X509CRL> crlsOfA, List<X509CRL> crlsOfB) {
        return new IkePair(config(IkePair.A, IkePair.B, pki.creds(pki.left(), crlsOfA), "left.example", "right.example"),
                config(IkePair.B, IkePair.A, pki.creds(pki.right(), crlsOfB), "right.example", "left.example"));
    }

    static IkeAction.Failed failure(IkePair pair, List<IkeAction> actions) {
        List<IkeAction.Failed> f = pair.of(actions, IkeAction.Failed.class);
        assertEquals(1, f.size(), "one failure: " + actions);
        return f.get(0);
    }

    @ParameterizedTest
    @EnumSource(value = KeyType.class, names = {"RSA_3072", "ECDSA_P256", "ECDSA_P384", "ED25519"})
    void twoSitesWithCertificatesFromOneCaEstablish(KeyType type) {
        Pki pki = Pki.of(type);
        IkePair pair = pair(pki, List.of(), List.of()).run();
        IkeSessionTest.assertEstablished(pair);
        // IKE_SA_INIT (in the clear) carries RFC 7427's notify both ways, and the responder's CERTREQ names our CA
        IkeMessage request = decode(pair.sentByA.get(0)), response = decode(pair.sentByB.get(0));
        assertTrue(request.notify(Ike.SIGNATURE_HASH_ALGORITHMS).isPresent() && response.notify(Ike.SIGNATURE_HASH_ALGORITHMS).isPresent());
        assertEquals(List.of(Ike.HASH_SHA2_256, Ike.HASH_SHA2_384, Ike.HASH_SHA2_512, Ike.HASH_IDENTITY),
                SignatureAuth.hashes(response.notify(Ike.SIGNATURE_HASH_ALGORITHMS).get().data()));
        assertEquals(20, response.first(Payload.CertRequest.class).orElseThrow().authorities().length);
        // each side learns when the certificate the other authenticated with expires (for the 30-day warning)
        assertEquals(Optional.of(pki.right().certificate().getNotAfter().toInstant()),
                pair.of(pair.actionsA, IkeAction.Established.class).get(0).peerCertificateExpires());
        assertEquals(Optional.of(pki.left().certificate().getNotAfter().toInstant()),
                pair.of(pair.actionsB, IkeAction.Established.class).get(0).peerCertificateExpires());
    }

    @Test
    void aPskSessionKnowsNoPeerCertificateExpiry() {
        IkePair pair = new IkePair(IkePair.configA(), IkePair.configB()).run();
        assertEquals(Optional.empty(), pair.of(pair.actionsA, IkeAction.Established.class).get(0).peerCertificateExpires());
    }

    @Test
    void aPskSessionSendsNoCertificatePayloadsOrSignatureNotify() {
        IkePair pair = new IkePair(IkePair.configA(), IkePair.configB()).run();
        IkeMessage request = decode(pair.sentByA.get(0)), response = decode(pair.sentByB.get(0));
        assertTrue(request.notify(Ike.SIGNATURE_HASH_ALGORITHMS).isEmpty() && response.first(Payload.CertRequest.class).isEmpty());
    }

    @Test
    void mixedKeyTypesAndTheSubjectDnAsDefaultIdEstablish() {
        Issued ca = CertificateAuthority.newCa("O=Example, CN=Example CA", KeyType.RSA_3072, Duration.ofDays(3650), NOW, RANDOM);
        Issued left = Pki.gateway(ca, "left.example", "198.51.100.1", KeyType.ECDSA_P256, Duration.ofDays(30), NOW);
        Issued right = Pki.gateway(ca, "right.example", "198.51.100.2", KeyType.RSA_3072, Duration.ofDays(30), NOW);
        Pki pki = new Pki(ca, left, right);
        IkeConfig a = IkePair.config(IkePair.A, IkePair.B).certificates(pki.creds(left, List.of())).build();
        assertEquals(Ike.ID_DER_ASN1_DN, a.localId().idType(), "with a certificate the default ID is its subject, as strongSwan's");
        IkeConfig b = IkePair.config(IkePair.B, IkePair.A).certificates(pki.creds(right, List.of()))
                .ids("198.51.100.2", "CN=left.example").build();
        IkePair pair = new IkePair(a, b).run();
        IkeSessionTest.assertEstablished(pair);
    }

    @Test
    void aRevokedResponderCertificateIsRefusedByTheInitiatorWithSerialAndCrl() {
        Pki pki = Pki.of(KeyType.ECDSA_P256);
        X509CRL crl = pki.revoking(pki.right());
        IkePair pair = pair(pki, List.of(crl), List.of());
        pair.clock.advance(Duration.ofMinutes(1)); // revoked before now (a revocation dated now is not yet in force)
        pair.run();
        IkeAction.Failed a = failure(pair, pair.actionsA);
        assertEquals(IkeFailure.CERTIFICATE_REVOKED, a.reason());
        assertEquals("certificate of right.example revoked (serial 0x" + pki.right().certificate().getSerialNumber().toString(16).toUpperCase()
                + ", CRL of Example CA updated 2025-01-01)", a.detail());
        assertEquals(IkeSession.State.FAILED, pair.a.state());
        // the responder, which counted the SA up, hears of it (section 2.21.2) and gives up too
        assertEquals(IkeFailure.AUTHENTICATION_FAILED, failure(pair, pair.actionsB).reason());
        assertEquals(IkeSession.State.FAILED, pair.b.state());
        assertTrue(pair.of(pair.actionsB, IkeAction.ChildSaDeleted.class).size() == 1, "B's CHILD SA removed again");
    }

    @Test
    void aRevokedInitiatorCertificateIsRefusedByTheResponder() {
        Pki pki = Pki.of(KeyType.RSA_3072);
        X509CRL other = CertificateAuthority.revoke(pki.ca().certificate(), pki.ca().privateKey(), Optional.empty(),
                BigInteger.valueOf(0x1F), CRLReason.keyCompromise, NOW); // a CRL that lists someone else: no effect on right
        IkePair pair = pair(pki, List.of(other), List.of(pki.revoking(pki.left())));
        pair.clock.advance(Duration.ofMinutes(1));
        pair.run();
        IkeAction.Failed b = failure(pair, pair.actionsB);
        assertEquals(IkeFailure.CERTIFICATE_REVOKED, b.reason());
        assertTrue(b.detail().startsWith("certificate of left.example revoked (serial 0x"), b.detail());
        IkeAction.Failed a = failure(pair, pair.actionsA);
        assertEquals(IkeFailure.AUTHENTICATION_FAILED, a.reason());
        assertTrue(a.detail().contains("does not accept our certificate"), a.detail());
    }

    @Test
    void anExpiredCertificateIsRefusedWithItsDate() {
        Pki pki = Pki.of(KeyType.ECDSA_P256, KeyType.ECDSA_P256, Duration.ofDays(30), NOW);
        IkePair pair = pair(pki, List.of(), List.of());
        pair.clock.advance(Duration.ofDays(31));
        pair.run();
        IkeAction.Failed b = failure(pair, pair.actionsB);
        assertEquals(IkeFailure.CERTIFICATE_EXPIRED, b.reason());
        assertEquals("certificate of left.example expired on 2025-01-31 00:00:00 UTC (now 2025-02-01 00:00:00 UTC)", b.detail());
    }

    @Test
    void aNotYetValidCertificateIsRefusedWithItsDate() {
        Instant later = NOW.plus(Duration.ofDays(10));
        Pki pki = Pki.of(KeyType.ECDSA_P256, KeyType.ECDSA_P256, Duration.ofDays(30), later);
        IkePair pair = pair(pki, List.of(), List.of()).run();
        IkeAction.Failed b = failure(pair, pair.actionsB);
        assertEquals(IkeFailure.CERTIFICATE_EXPIRED, b.reason());
        assertTrue(b.detail().startsWith("certificate of left.example is not yet valid: from 2025-01-10 23:55:00 UTC"), b.detail());
    }

    @Test
    void aCertificateOfAnUnknownCaIsRefused() {
        Pki pki = Pki.of(KeyType.ECDSA_P256);
        Issued otherCa = CertificateAuthority.newCa("Other CA", KeyType.ECDSA_P256, Duration.ofDays(3650), NOW, RANDOM);
        Issued stranger = Pki.gateway(otherCa, "left.example", "198.51.100.1", KeyType.ECDSA_P256, Duration.ofDays(30), NOW);
        IkePair pair = pair(new Pki(pki.ca(), stranger, pki.right()), List.of(), List.of()).run(); // both trust Example CA only
        IkeAction.Failed b = failure(pair, pair.actionsB);
        assertEquals(IkeFailure.CERTIFICATE_UNTRUSTED, b.reason());
        assertEquals("unknown CA: certificate of left.example chains to CN=Other CA, which is none of this site's CAs [Example CA]", b.detail());
    }

    @Test
    void aCertificateSignedByAnImpostorOfOurCaIsRefusedAsWronglySigned() {
        Pki pki = Pki.of(KeyType.ECDSA_P256);
        Issued impostor = CertificateAuthority.newCa("Example CA", KeyType.ECDSA_P256, Duration.ofDays(3650), NOW, RANDOM);
        Issued forged = Pki.gateway(impostor, "left.example", "198.51.100.1", KeyType.ECDSA_P256, Duration.ofDays(30), NOW);
        IkePair pair = pair(new Pki(pki.ca(), forged, pki.right()), List.of(), List.of()).run();
        IkeAction.Failed b = failure(pair, pair.actionsB);
        assertEquals(IkeFailure.CERTIFICATE_UNTRUSTED, b.reason());
        assertTrue(b.detail().startsWith("wrongly signed: certificate of left.example"), b.detail());
    }

    @Test
    void anIdTheCertificateDoesNotNameIsRefusedWithTheNamesItHas() {
        Pki pki = Pki.of(KeyType.ECDSA_P256);
        // A claims "branch.example" and B expects exactly that, but A's certificate names left.example
        IkePair pair = new IkePair(config(IkePair.A, IkePair.B, pki.creds(pki.left(), List.of()), "branch.example", "right.example"),
                config(IkePair.B, IkePair.A, pki.creds(pki.right(), List.of()), "right.example", "branch.example")).run();
        IkeAction.Failed b = failure(pair, pair.actionsB);
        assertEquals(IkeFailure.ID_MISMATCH, b.reason());
        assertEquals("the peer identifies as branch.example, but its certificate (CN=left.example) names only "
                + "[dns:left.example, ip:198.51.100.1] as subjectAltNames", b.detail());
        assertEquals(IkeFailure.AUTHENTICATION_FAILED, failure(pair, pair.actionsA).reason());
    }

    @Test
    void theIpAddressIdMatchesAnIpSubjectAltName() {
        Pki pki = Pki.of(KeyType.ECDSA_P256);
        IkePair pair = new IkePair(config(IkePair.A, IkePair.B, pki.creds(pki.left(), List.of()), "198.51.100.1", "198.51.100.2"),
                config(IkePair.B, IkePair.A, pki.creds(pki.right(), List.of()), "198.51.100.2", "198.51.100.1")).run();
        IkeSessionTest.assertEstablished(pair);
    }

    @Test
    void aPskPeerAgainstACertificateSiteIsNamed() {
        Pki pki = Pki.of(KeyType.ECDSA_P256);
        IkePair pair = new IkePair(IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).ids("left.example", "right.example").build(),
                config(IkePair.B, IkePair.A, pki.creds(pki.right(), List.of()), "right.example", "left.example")).run();
        IkeAction.Failed b = failure(pair, pair.actionsB);
        assertEquals(IkeFailure.CERTIFICATE_UNTRUSTED, b.reason());
        assertEquals("the peer left.example sent no X.509 certificate", b.detail());
    }

    @Test
    void aKeyThatIsNotTheCertificatesOrTooWeakIsRefusedAtConfiguration() {
        Pki pki = Pki.of(KeyType.ECDSA_P256);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new IkeCertificates(
                List.of(pki.left().certificate()), pki.right().privateKey(), List.of(pki.ca().certificate()), List.of()));
        assertTrue(e.getMessage().contains("does not belong to the certificate"), e.getMessage());
    }

    @Test
    void anRsaIkeAuthTooLargeForOnePacketTravelsAsEncryptedFragmentsAndSurvivesALostOne() {
        Pki pki = Pki.of(KeyType.RSA_4096);
        IkePair pair = pair(pki, List.of(), List.of());
        boolean[] lostOnce = {false};
        pair.lose = s -> { // the second fragment of A's first IKE_AUTH is lost: A's retransmission resends them all
            if (!lostOnce[0] && s.localPort() == Ike.NAT_T_PORT && pair.sentByA.size() == 3) {
                lostOnce[0] = true;
                return true;
            }
            return false;
        };
        pair.run();
        assertTrue(lostOnce[0]);
        assertEquals(IkeSession.State.AUTH_SENT, pair.a.state(), "waiting for the lost fragment's retransmission");
        pair.clock.setNanos(pair.a.nextWake().orElseThrow());
        pair.deliver(pair.a.tick(), true);
        IkeSessionTest.assertEstablished(pair);
        List<IkeAction.Send> auth = pair.sentByA.stream().filter(s -> s.localPort() == Ike.NAT_T_PORT).toList();
        assertTrue(auth.size() >= 4, "IKE_AUTH in fragments, twice: " + auth.size());
        for (IkeAction.Send s : auth) {
            assertTrue(s.datagram().length <= IkeSession.FRAGMENT_PACKET - 20 - 8, "fits a 1280-byte packet: " + s.datagram().length);
            IkeMessage m = decode(s);
            Payload.EncryptedFragment f = m.first(Payload.EncryptedFragment.class).orElseThrow();
            assertTrue(f.total() >= 2 && f.number() <= f.total(), m.describe());
        }
        assertTrue(pair.sentByB.stream().filter(s -> s.localPort() == Ike.NAT_T_PORT).count() >= 2, "B's IKE_AUTH response fragmented too");
    }

    @Test
    void withoutFragmentationOnOneSideBothSendWholeMessages() {
        Pki pki = Pki.of(KeyType.RSA_4096);
        IkePair pair = new IkePair(IkePair.config(IkePair.A, IkePair.B).certificates(pki.creds(pki.left(), List.of()))
                .ids("left.example", "right.example").fragmentation(false).build(),
                config(IkePair.B, IkePair.A, pki.creds(pki.right(), List.of()), "right.example", "left.example")).run();
        IkeSessionTest.assertEstablished(pair);
        assertTrue(decode(pair.sentByA.get(0)).notify(Ike.IKEV2_FRAGMENTATION_SUPPORTED).isEmpty());
        assertTrue(decode(pair.sentByB.get(0)).notify(Ike.IKEV2_FRAGMENTATION_SUPPORTED).isEmpty(), "B announces only in answer");
        IkeAction.Send response = pair.sentByB.get(1);
        assertTrue(decode(response).first(Payload.Encrypted.class).isPresent() && response.datagram().length > IkeSession.FRAGMENT_PACKET,
                "B's IKE_AUTH response whole (left to IP fragmentation): " + response.datagram().length);
    }

    private static IkeMessage decode(IkeAction.Send s) {
        int off = s.localPort() == Ike.NAT_T_PORT ? 4 : 0;
        return ((IkeMessage.Decoded.Ok) IkeMessage.decode(s.datagram(), off, s.datagram().length - off)).message();
    }
}
