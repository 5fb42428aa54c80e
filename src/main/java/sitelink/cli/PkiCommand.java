package sitelink.cli;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sitelink.pki.CertificateAuthority;
import sitelink.pki.CertificateAuthority.AltName;
import sitelink.pki.CertificateAuthority.Issued;
import sitelink.pki.Describe;
import sitelink.pki.KeyType;
import sitelink.pki.PemFiles;

/**
 * {@code sitelink pki}: a small certificate authority for IKEv2 sites, as strongSwan's {@code pki}: {@code ca},
 * {@code issue}, {@code revoke}, {@code show}. Keys are written mode 0600 and nothing is ever overwritten but the CRL.
 * Exit 0 on success, 1 on an error (one line saying what and how to fix it), 2 on a usage error.
 */
@Command(name = "pki", description = "A small certificate authority for IKEv2 sites: ca, issue, revoke, show.",
        subcommands = {PkiCommand.Ca.class, PkiCommand.Issue.class, PkiCommand.Revoke.class, PkiCommand.Show.class})
public final class PkiCommand implements Runnable {
    /** Where the commands read the time; tests move it. */
    static Supplier<Instant> clock = Instant::now;

    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }

    /** Shared by the subcommands: the output streams and the error convention. */
    abstract static class Base implements Callable<Integer> {
        final KeyCommands.Io io = new KeyCommands.Io();

        abstract void run() throws IOException;

        @Override
        public final Integer call() {
            try {
                run();
                return 0;
            } catch (IOException | IllegalArgumentException e) {
                io.err.println("pki " + getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + ": "
                        + e.getMessage());
                return 1;
            } finally {
                io.out.flush();
                io.err.flush();
            }
        }

        static KeyType keyType(String option) {
            return KeyType.fromOption(option).orElseThrow(() -> new IllegalArgumentException("key type '" + option
                    + "' is not one of " + KeyType.options()));
        }

        static Duration days(int days) {
            if (days < 1) {
                throw new IllegalArgumentException("--days must be at least 1");
            }
            return Duration.ofDays(days);
        }
    }

    /** What {@code ca} and {@code issue} both make: a new key of a type, and the two files to write. */
    static final class NewKeyOptions {
        @Option(names = "--key-type", defaultValue = "ecdsa-p256", description = "ecdsa-p256 (default), ecdsa-p384, rsa2048, rsa3072, rsa4096, ed25519")
        String keyType;
        @Option(names = "--out-cert", required = true, description = "the certificate to write (PEM)")
        Path outCert;
        @Option(names = "--out-key", required = true, description = "the private key to write (PKCS#8 PEM, mode 0600)")
        Path outKey;

        /** Writes key and certificate (neither exists: checked before the key was made) and shows the certificate. */
        void write(Issued issued, KeyCommands.Io io, String note) throws IOException {
            PemFiles.writePrivateKey(outKey, issued.privateKey());
            PemFiles.writeCertificate(outCert, issued.certificate());
            io.out.print(Describe.certificate(issued.certificate(), clock.get()));
            io.out.println("wrote " + outCert + " and " + outKey + note);
        }
    }

    /** The CA that {@code issue} and {@code revoke} sign with. */
    static final class CaFiles {
        @Option(names = "--ca-cert", required = true, description = "the CA certificate")
        Path cert;
        @Option(names = "--ca-key", required = true, description = "the CA private key")
        Path key;
    }

    @Command(name = "ca", description = "Make a new CA: a private key (mode 0600) and a self-signed certificate.")
    static final class Ca extends Base {
        @Option(names = "--name", required = true, description = "CA name (CN), or a full DN such as 'O=Example, CN=Example CA'")
        String name;
        @Option(names = "--days", defaultValue = "3650", description = "validity in days (default 3650)")
        int days;
        @picocli.CommandLine.Mixin
        NewKeyOptions files = new NewKeyOptions();

        @Override
        void run() throws IOException {
            refuseExisting(files.outCert, files.outKey);
            files.write(CertificateAuthority.newCa(name, keyType(files.keyType), days(days), clock.get(),
                    new SecureRandom()), io, " (keep the key offline or at least mode 0600)");
        }
    }

    @Command(name = "issue", description = "Issue a gateway certificate signed by the CA, with a new private key.")
    static final class Issue extends Base {
        @picocli.CommandLine.Mixin
        CaFiles ca = new CaFiles();
        @Option(names = "--name", required = true, description = "the gateway's identity, e.g. right.example (CN, and the subjectAltName unless --san is given), or a full DN")
        String name;
        @Option(names = "--san", description = "a subjectAltName: dns:NAME, ip:ADDRESS or email:ADDRESS (repeatable)")
        List<String> sans = new ArrayList<>();
        @Option(names = "--days", defaultValue = "730", description = "validity in days (default 730)")
        int days;
        @picocli.CommandLine.Mixin
        NewKeyOptions files = new NewKeyOptions();

        @Override
        void run() throws IOException {
            refuseExisting(files.outCert, files.outKey);
            List<AltName> alt = new ArrayList<>();
            for (String s : sans) {
                alt.add(AltName.parse(s));
            }
            if (alt.isEmpty()) {
                if (name.contains("=")) {
                    throw new IllegalArgumentException("--name is a DN; give the identities the peer will check with "
                            + "--san dns:NAME, ip:ADDRESS or email:ADDRESS");
                }
                alt.add(AltName.implied(name.trim()));
            }
            X509Certificate caCert = PemFiles.certificate(ca.cert);
            files.write(CertificateAuthority.issue(caCert, PemFiles.privateKey(ca.key), name, alt, keyType(files.keyType),
                    days(days), clock.get(), new SecureRandom()), io, "");
        }
    }

    @Command(name = "revoke", description = "Add a certificate to the CA's CRL (made if missing), or only renew the CRL.")
    static final class Revoke extends Base {
        @picocli.CommandLine.Mixin
        CaFiles ca = new CaFiles();
        @Option(names = "--crl", required = true, description = "the CRL file to update (PEM)")
        Path crl;
        @Option(names = "--cert", description = "the certificate to revoke")
        Path cert;
        @Option(names = "--serial", description = "or its serial number (hex, as 'pki show' prints it)")
        String serial;
        @Option(names = "--reason", defaultValue = "unspecified", description = "key-compromise, superseded, cessation-of-operation, affiliation-changed, ca-compromise, unspecified")
        String reason;
        @Option(names = "--renew", description = "revoke nothing: sign the CRL again with a new next-update date")
        boolean renew;

        @Override
        void run() throws IOException {
            X509Certificate caCert = PemFiles.certificate(ca.cert);
            BigInteger target = null;
            if (!renew) {
                if ((cert == null) == (serial == null)) {
                    throw new IllegalArgumentException("name the certificate to revoke with --cert FILE or --serial "
                            + "HEX (or use --renew)");
                }
                if (cert != null) {
                    X509Certificate c = PemFiles.certificate(cert);
                    if (!c.getIssuerX500Principal().equals(caCert.getSubjectX500Principal())) {
                        throw new IllegalArgumentException(cert + " was issued by " + c.getIssuerX500Principal().getName()
                                + ", not by this CA (" + caCert.getSubjectX500Principal().getName() + ")");
                    }
                    target = c.getSerialNumber();
                } else {
                    target = parseSerial(serial);
                }
            }
            Optional<X509CRL> previous = Optional.empty();
            if (Files.exists(crl)) {
                PemFiles.Contents c = PemFiles.read(crl);
                if (c.crls().size() != 1) {
                    throw new IOException(crl + ": expected one X509 CRL, found " + c.crls().size());
                }
                previous = Optional.of(c.crls().getFirst());
            }
            PrivateKey key = PemFiles.privateKey(ca.key);
            X509CRL next = CertificateAuthority.revoke(caCert, key, previous, target,
                    CertificateAuthority.reason(reason), clock.get());
            PemFiles.replaceCrl(crl, next);
            io.out.print(Describe.crl(next, clock.get()));
            io.out.println((target == null ? "renewed " : "revoked " + Describe.serial(target) + "; wrote ") + crl
                    + " (copy it to every gateway that trusts this CA)");
        }

        static BigInteger parseSerial(String s) {
            String hex = s.trim().replace(":", "");
            if (hex.startsWith("0x") || hex.startsWith("0X")) {
                hex = hex.substring(2);
            }
            try {
                return new BigInteger(hex, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--serial '" + s + "' is not a hexadecimal serial number");
            }
        }
    }

    @Command(name = "show", description = "Print certificates, CRLs and the type of private keys in a PEM file, in words.")
    static final class Show extends Base {
        @Parameters(paramLabel = "FILE", arity = "1..*", description = "PEM files")
        List<Path> files;

        @Override
        void run() throws IOException {
            Instant now = clock.get();
            boolean first = true;
            for (Path f : files) {
                PemFiles.Contents c = PemFiles.read(f);
                if (c.isEmpty()) {
                    throw new IOException(f + ": no certificate, CRL or private key in it");
                }
                for (X509Certificate cert : c.certificates()) {
                    io.out.print((first ? "" : "\n") + Describe.certificate(cert, now));
                    first = false;
                }
                for (X509CRL crl : c.crls()) {
                    io.out.print((first ? "" : "\n") + Describe.crl(crl, now));
                    first = false;
                }
                for (PrivateKey k : c.privateKeys()) {
                    io.out.println((first ? "" : "\n") + "private key: " + KeyType.describe(k) + " (not shown)");
                    first = false;
                }
            }
        }
    }

    static void refuseExisting(Path... files) {
        for (Path f : files) {
            if (Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException(f + " exists already; sitelink pki never overwrites a key or "
                        + "certificate: choose another name or remove it first");
            }
        }
    }
}
