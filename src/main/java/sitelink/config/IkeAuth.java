package sitelink.config;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * How an IKEv2 remote site authenticates: a pre-shared key ({@code auth: psk}) or X.509 certificates
 * ({@code auth: cert}).
 */
public sealed interface IkeAuth {
    /** The word of the site file's {@code auth:} field. */
    String method();

    /**
     * A pre-shared key read from {@code file} (mode 0600, at least {@link #MIN_LENGTH} characters): the file's one
     * line, without its line end, as UTF-8 bytes. {@link #toString()} never shows it.
     */
    final class Psk implements IkeAuth {
        /** Shorter keys fall to an offline dictionary attack on a captured IKE_AUTH exchange (RFC 7296 section 2.15). */
        public static final int MIN_LENGTH = 32;
        /** Older than this, {@code check} asks for a new key. */
        public static final int ROTATE_AFTER_DAYS = 90;

        private final Path file;
        private final byte[] secret;

        public Psk(Path file, byte[] secret) {
            this.file = file;
            this.secret = secret.clone();
        }

        public Path file() {
            return file;
        }

        public byte[] secret() {
            return secret.clone();
        }

        @Override
        public String method() {
            return "psk";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Psk p && p.file.equals(file) && Arrays.equals(p.secret, secret);
        }

        @Override
        public int hashCode() {
            return file.hashCode();
        }

        @Override
        public String toString() {
            return "psk from " + file;
        }
    }

    /**
     * Certificates: this site's certificate (and chain) and private key, the CAs the peer's certificate must chain to,
     * and CRLs, read and checked by {@code check} into {@code certificates}. The files are kept for messages and for
     * the expiry warning.
     */
    record Cert(Path certificateFile, Path privateKeyFile, java.util.List<Path> caFiles, java.util.List<Path> crlFiles,
                sitelink.ike.IkeCertificates certificates) implements IkeAuth {
        /** Certificates (ours or a CA's) that expire within this many days are warned about. */
        public static final int WARN_DAYS_BEFORE_EXPIRY = 30;

        public Cert {
            caFiles = java.util.List.copyOf(caFiles);
            crlFiles = java.util.List.copyOf(crlFiles);
        }

        @Override
        public String method() {
            return "cert";
        }

        @Override
        public String toString() {
            return "certificate " + certificateFile;
        }
    }
}
