package sitelink.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;

/**
 * Key tools compatible with {@code wg genkey}, {@code wg pubkey} and {@code wg genpsk}: same base64 format, same
 * clamping, same exit codes, and the same warning when a secret goes to a file others can read.
 */
public final class KeyCommands {
    private KeyCommands() {
    }

    /** Where a command reads and writes; tests substitute their own. */
    static final class Io {
        InputStream in = System.in;
        PrintStream out = System.out;
        PrintStream err = System.err;
        /** The file stdout is redirected to, if any (Linux: /proc/self/fd/1). */
        Path stdoutPath = Path.of("/proc/self/fd/1");
    }

    @Command(name = "genkey", description = "Generate a new private key and print it in base64 (as wg genkey).")
    public static final class GenKey implements Callable<Integer> {
        final Io io = new Io();

        @Override
        public Integer call() {
            warnIfWorldAccessible(io);
            Key k = X25519.generatePrivate(new SecureRandom());
            io.out.println(k.toBase64());
            io.out.flush();
            k.destroy();
            return 0;
        }
    }

    @Command(name = "genpsk", description = "Generate a new preshared key and print it in base64 (as wg genpsk).")
    public static final class GenPsk implements Callable<Integer> {
        final Io io = new Io();

        @Override
        public Integer call() {
            warnIfWorldAccessible(io);
            byte[] b = new byte[Key.LENGTH];
            new SecureRandom().nextBytes(b);
            Key k = Key.of(b);
            java.util.Arrays.fill(b, (byte) 0);
            io.out.println(k.toBase64());
            io.out.flush();
            k.destroy();
            return 0;
        }
    }

    @Command(name = "pubkey", description = "Read a base64 private key on stdin and print its public key (as wg pubkey).")
    public static final class PubKey implements Callable<Integer> {
        final Io io = new Io();

        @Override
        public Integer call() {
            String text;
            try {
                // A key is 44 characters; anything much longer is not a key, so do not read without bound.
                byte[] input = io.in.readNBytes(1024);
                text = new String(input, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                io.err.println("pubkey: cannot read stdin: " + e.getMessage());
                return 1;
            }
            Key priv;
            try {
                priv = Key.fromBase64(text);
            } catch (IllegalArgumentException e) {
                io.err.println("pubkey: Key is not the correct length or format: " + e.getMessage());
                return 1;
            }
            io.out.println(X25519.publicKey(priv).toBase64());
            io.out.flush();
            priv.destroy();
            return 0;
        }
    }

    /** As wg: warn when stdout is a regular file that others may read (the user forgot umask 077). */
    static void warnIfWorldAccessible(Io io) {
        try {
            Path target = io.stdoutPath;
            if (!Files.isRegularFile(target)) {
                return;
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(target);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_WRITE)
                    || perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                io.err.println("Warning: writing to world accessible file.");
                io.err.println("Consider setting the umask to 077 and trying again.");
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // Not Linux, or no /proc: skip the advice rather than fail key generation.
        }
    }

}
