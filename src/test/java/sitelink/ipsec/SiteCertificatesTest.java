package sitelink.ipsec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.ike.IkeCertificates;
import sitelink.pki.CertificateAuthority;
import sitelink.pki.CertificateAuthority.AltName;
import sitelink.pki.CertificateAuthority.Issued;
import sitelink.pki.KeyType;
import sitelink.pki.PemFiles;
import sitelink.wireguard.FakeClock;

/**
 * The gateway's CRL re-read: a changed CRL file is read again (by the timer every 30 s, and before each new session),
 * new sessions get the new CRLs, and a CRL that cannot be used leaves the old ones in force with a log line saying why.
 */
class SiteCertificatesTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final FakeClock clock = new FakeClock();
    private final Issued ca = CertificateAuthority.newCa("Example CA", KeyType.ECDSA_P256, Duration.ofDays(3650), Instant.now(), RANDOM);
    private final Issued ours = CertificateAuthority.issue(ca.certificate(), ca.privateKey(), "left.example",
            List.of(AltName.parse("dns:left.example")), KeyType.ECDSA_P256, Duration.ofDays(20), Instant.now(), RANDOM);
    private final List<String> log = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            log.add(new java.util.logging.SimpleFormatter().formatMessage(r));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    @TempDir
    Path dir;
    private Path crlFile;
    private SiteCertificates certs;

    @BeforeEach
    void start() throws IOException {
        Logger.getLogger("sitelink.ipsec").addHandler(capture);
        crlFile = dir.resolve("ca.crl");
        X509CRL first = revoke(Optional.empty(), BigInteger.valueOf(0x10));
        PemFiles.replaceCrl(crlFile, first);
        certs = new SiteCertificates("office-b", creds(List.of(first)), List.of(crlFile), f -> PemFiles.read(f).crls(), clock);
    }

    @AfterEach
    void stop() {
        Logger.getLogger("sitelink.ipsec").removeHandler(capture);
    }

    private IkeCertificates creds(List<X509CRL> crls) {
        return new IkeCertificates(List.of(ours.certificate()), ours.privateKey(), List.of(ca.certificate()), crls);
    }

    private X509CRL revoke(Optional<X509CRL> previous, BigInteger serial) {
        return CertificateAuthority.revoke(ca.certificate(), ca.privateKey(), previous, serial, CRLReason.KEY_COMPROMISE.ordinal(),
                Instant.now());
    }

    private static List<BigInteger> revoked(IkeCertificates c) {
        return c.crls().stream().flatMap(x -> x.getRevokedCertificates() == null ? java.util.stream.Stream.empty()
                : x.getRevokedCertificates().stream()).map(java.security.cert.X509CRLEntry::getSerialNumber).sorted().toList();
    }

    @Test
    void unchangedFilesAreNotReadAgain() {
        IkeCertificates before = certs.current();
        clock.advance(Duration.ofSeconds(31));
        certs.poll(clock.nanoTime());
        assertSame(before, certs.current(), "the same credentials: nothing was read");
        assertEquals(List.of(BigInteger.valueOf(0x10)), revoked(before));
        assertEquals(List.of(), log);
    }

    @Test
    void aChangedCrlIsUsedByTheNextSession() throws IOException {
        PemFiles.replaceCrl(crlFile, revoke(Optional.of(PemFiles.read(crlFile).crls().get(0)), BigInteger.valueOf(0x1F)));
        assertEquals(List.of(BigInteger.valueOf(0x10), BigInteger.valueOf(0x1F)), revoked(certs.current()));
        assertEquals(ours.certificate(), certs.current().chain().get(0), "our own credentials stay");
        assertTrue(log.stream().anyMatch(l -> l.startsWith("office-b: CRL " + crlFile + " re-read: 2 revoked, updated ")), log.toString());
    }

    @Test
    void theTimerLooksEveryThirtySeconds() throws IOException {
        long next = certs.poll(clock.nanoTime());
        assertEquals(clock.nanoTime() + SiteCertificates.CHECK_INTERVAL_NANOS, next);
        PemFiles.replaceCrl(crlFile, revoke(Optional.of(PemFiles.read(crlFile).crls().get(0)), BigInteger.valueOf(0x1F)));
        clock.advance(Duration.ofSeconds(29));
        certs.poll(clock.nanoTime());
        assertTrue(log.isEmpty(), "not yet looked: " + log);
        clock.setNanos(next);
        certs.poll(clock.nanoTime());
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("re-read: 2 revoked"), log.toString());
    }

    @Test
    void anUnreadableCrlKeepsTheOldOneAndSaysWhyOnce() throws IOException {
        IkeCertificates before = certs.current();
        Files.writeString(crlFile, "-----BEGIN X509 CRL-----\nnot base64 at all\n-----END X509 CRL-----\n");
        assertSame(before, certs.current());
        assertSame(before, certs.current());
        assertEquals(1, log.size(), "said once: " + log);
        assertTrue(log.get(0).startsWith("office-b: CRL " + crlFile + " changed but cannot be used (")
                && log.get(0).endsWith("); the CRLs read before stay in force"), log.get(0));
        // fixed: read again
        PemFiles.replaceCrl(crlFile, revoke(Optional.empty(), BigInteger.valueOf(0x2A)));
        assertEquals(List.of(BigInteger.valueOf(0x2A)), revoked(certs.current()));
    }

    @Test
    void aCrlOfAnotherCaOrAMissingFileKeepsTheOldOne() throws IOException {
        IkeCertificates before = certs.current();
        Issued other = CertificateAuthority.newCa("Other CA", KeyType.ECDSA_P256, Duration.ofDays(10), Instant.now(), RANDOM);
        PemFiles.replaceCrl(crlFile, CertificateAuthority.revoke(other.certificate(), other.privateKey(), Optional.empty(),
                BigInteger.TWO, 0, Instant.now()));
        assertSame(before, certs.current());
        assertTrue(log.get(0).contains("its issuer CN=Other CA is none of this site's CAs"), log.toString());
        Files.delete(crlFile);
        assertSame(before, certs.current());
        assertEquals(2, log.size(), log.toString());
    }

    @Test
    void ourCertificatesExpiryIsKnown() {
        assertEquals(ours.certificate().getNotAfter().toInstant(), certs.expires());
    }
}
