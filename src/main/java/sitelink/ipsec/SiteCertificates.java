package sitelink.ipsec;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import sitelink.ike.IkeCertificates;
import sitelink.tunnel.Clock;

/**
 * A certificate site's credentials while the gateway runs: our certificate (when it expires, for status) and the CRL
 * files, re-read when they change. Every {@link #CHECK_INTERVAL_NANOS} (the tunnel's timer) and before each new IKE
 * session the files' modification time, size and inode are compared with those last read; when one differs all are
 * read again, new sessions validate the peer's certificate against the new CRLs, and the tunnel's timer (seeing
 * {@link #generation} change) checks the certificates of established IKE SAs against them too: one whose peer's
 * certificate is now revoked is deleted ({@link IpsecTunnel}).
 * A CRL that cannot be read or parsed, or that none of the site's CAs signed, leaves the CRLs read before in force,
 * and the log says why. Nothing is fetched from the network.
 */
public final class SiteCertificates {
    private static final System.Logger LOG = System.getLogger("sitelink.ipsec");
    /** How often the timer looks at the CRL files. */
    public static final long CHECK_INTERVAL_NANOS = 30_000_000_000L;

    /** Reads the CRLs of one file (PEM or DER); the gateway's is {@code PemFiles.read(f).crls()}. */
    @FunctionalInterface
    public interface CrlReader {
        List<X509CRL> read(Path file) throws IOException;
    }

    /** What says a file changed: an edit changes the time and usually the size, an atomic replace the inode. */
    private record Stamp(FileTime modified, long size, Object inode) {
    }

    private final String site;
    private final List<Path> files;
    private final CrlReader reader;
    private final Clock clock;
    private volatile IkeCertificates current;
    private Map<Path, Stamp> stamps;
    private long nextCheck;
    /** How many times the CRLs were read anew (0: as at start). */
    private volatile int generation;

    /**
     * @param initial the credentials as {@code check} read them at start, their CRLs from {@code crlFiles} as they are now
     */
    public SiteCertificates(String site, IkeCertificates initial, List<Path> crlFiles, CrlReader reader, Clock clock) {
        this.site = site;
        this.current = initial;
        this.files = List.copyOf(crlFiles);
        this.reader = reader;
        this.clock = clock;
        this.stamps = stamps();
        this.nextCheck = clock.nanoTime() + CHECK_INTERVAL_NANOS;
    }

    /** When this site's own certificate expires (its notAfter). */
    public Instant expires() {
        return current.chain().get(0).getNotAfter().toInstant();
    }

    /** The credentials for a new IKE session: with the CRLs as the files say now. */
    public IkeCertificates current() {
        check();
        return current;
    }

    /** The credentials as last read, without looking at the files. */
    IkeCertificates latest() {
        return current;
    }

    /** Counts the times the CRLs were read anew: when it changed, established IKE SAs are checked against them. */
    int generation() {
        return generation;
    }

    /** Looks at the files when the interval has passed; the clock time (nanoTime) of the next look. */
    synchronized long poll(long nowNanos) {
        if (nowNanos - nextCheck >= 0) {
            check();
        }
        return nextCheck;
    }

    /** Re-reads the CRL files if any changed. */
    synchronized void check() {
        nextCheck = clock.nanoTime() + CHECK_INTERVAL_NANOS;
        Map<Path, Stamp> seen = stamps();
        if (seen.equals(stamps)) {
            return;
        }
        stamps = seen; // a broken version is reported once, not on every look
        Map<Path, List<X509CRL>> read = new LinkedHashMap<>();
        for (Path f : files) {
            try {
                List<X509CRL> crls = reader.read(f);
                if (crls.isEmpty()) {
                    throw new IOException("it holds no CRL");
                }
                for (X509CRL crl : crls) {
                    requireSignedByAnAnchor(crl);
                }
                read.put(f, crls);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "{0}: CRL {1} changed but cannot be used ({2}); the CRLs read before stay in force",
                        site, f, e.getMessage());
                return;
            }
        }
        IkeCertificates was = current;
        current = new IkeCertificates(was.chain(), was.privateKey(), was.trustAnchors(),
                read.values().stream().flatMap(List::stream).toList(), was.rsaPss());
        generation++;
        read.forEach((f, crls) -> crls.forEach(crl -> LOG.log(Level.INFO, "{0}: CRL {1} re-read: {2} revoked, updated {3}", site, f,
                crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size(), crl.getThisUpdate().toInstant())));
    }

    private void requireSignedByAnAnchor(X509CRL crl) throws IOException {
        for (X509Certificate ca : current.trustAnchors()) {
            if (ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
                try {
                    crl.verify(ca.getPublicKey());
                    return;
                } catch (GeneralSecurityException e) {
                    throw new IOException("its signature does not verify with the key of " + ca.getSubjectX500Principal().getName());
                }
            }
        }
        throw new IOException("its issuer " + crl.getIssuerX500Principal().getName() + " is none of this site's CAs");
    }

    private Map<Path, Stamp> stamps() {
        Map<Path, Stamp> out = new LinkedHashMap<>();
        for (Path f : files) {
            try {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                out.put(f, new Stamp(a.lastModifiedTime(), a.size(), Objects.requireNonNullElse(a.fileKey(), "")));
            } catch (IOException e) {
                out.put(f, new Stamp(FileTime.fromMillis(0), -1, e.getMessage()));
            }
        }
        return out;
    }
}
