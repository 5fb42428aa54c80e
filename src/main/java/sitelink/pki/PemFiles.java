package sitelink.pki;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import sitelink.files.AtomicFiles;

/**
 * PEM files of certificates, CRLs and private keys: read in every form an operator brings (PKCS#8, SEC1
 * {@code EC PRIVATE KEY}, PKCS#1 {@code RSA PRIVATE KEY}; a chain of certificates), written as PKCS#8 and X.509 PEM.
 * A private key file is created with mode 0600 from the start (never readable by others, not even for a moment);
 * nothing is ever overwritten except a CRL, which is replaced atomically.
 */
public final class PemFiles {
    private PemFiles() {
    }

    /** Everything a PEM file holds, in order. */
    public record Contents(List<X509Certificate> certificates, List<X509CRL> crls, List<PrivateKey> privateKeys) {
        public boolean isEmpty() {
            return certificates.isEmpty() && crls.isEmpty() && privateKeys.isEmpty();
        }
    }

    public static Contents read(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
            return read(r, file.toString());
        }
    }

    static Contents read(Reader reader, String name) throws IOException {
        List<X509Certificate> certs = new ArrayList<>();
        List<X509CRL> crls = new ArrayList<>();
        List<PrivateKey> keys = new ArrayList<>();
        JcaPEMKeyConverter keyConverter = new JcaPEMKeyConverter();
        try (PEMParser p = new PEMParser(reader)) {
            Object o;
            while ((o = p.readObject()) != null) {
                switch (o) {
                    case X509CertificateHolder h -> certs.add(new JcaX509CertificateConverter().getCertificate(h));
                    case X509CRLHolder h -> crls.add(new JcaX509CRLConverter().getCRL(h));
                    case PrivateKeyInfo k -> keys.add(keyConverter.getPrivateKey(k));
                    case PEMKeyPair k -> keys.add(keyConverter.getKeyPair(k).getPrivate());
                    default -> throw new IOException(name + ": unsupported PEM object " + o.getClass().getSimpleName()
                            + " (expected CERTIFICATE, X509 CRL, PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY;"
                            + " an encrypted key must be decrypted first)");
                }
            }
        } catch (CertificateException | CRLException e) {
            throw new IOException(name + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException | IllegalStateException e) { // BC's parser on malformed base64 or DER
            throw new IOException(name + ": not a valid PEM file (" + e.getMessage() + ")", e);
        }
        return new Contents(List.copyOf(certs), List.copyOf(crls), List.copyOf(keys));
    }

    public static X509Certificate certificate(Path file) throws IOException {
        Contents c = read(file);
        if (c.certificates().isEmpty()) {
            throw new IOException(file + ": no CERTIFICATE in it");
        }
        return c.certificates().getFirst();
    }

    public static PrivateKey privateKey(Path file) throws IOException {
        Contents c = read(file);
        if (c.privateKeys().size() != 1) {
            throw new IOException(file + ": expected one private key, found " + c.privateKeys().size());
        }
        return c.privateKeys().getFirst();
    }

    static String pem(Object... objects) {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            for (Object o : objects) {
                w.writeObject(o instanceof PrivateKey k ? new JcaPKCS8Generator(k, null) : o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to a string
        }
        return s.toString();
    }

    /** Writes a new private key file, mode 0600 from creation; refuses to replace an existing file. */
    public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        writeNew(file, pem(key), "rw-------");
    }

    /** Writes a new certificate file (0644); refuses to replace an existing file. */
    public static void writeCertificate(Path file, X509Certificate cert) throws IOException {
        writeNew(file, pem(cert), "rw-r--r--");
    }

    /** Writes a CRL (0644), replacing the old one atomically: a reader sees the old list or the new, never half. */
    public static void replaceCrl(Path file, X509CRL crl) throws IOException {
        AtomicFiles.replace(file, pem(crl), StandardCharsets.US_ASCII, "rw-r--r--");
    }

    private static void writeNew(Path file, String text, String mode) throws IOException {
        try {
            // Created with the mode (the umask can only take bits away), so a key file is never readable by others,
            // then set exactly, since a umask of 077 would leave a certificate unreadable to the gateway's users.
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(file.toString(), null, "exists already; sitelink pki never "
                    + "overwrites a key or certificate: choose another name or remove it first");
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
