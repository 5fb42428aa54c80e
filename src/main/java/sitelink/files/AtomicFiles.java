package sitelink.files;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Files replaced whole: a reader sees the old content or the new, never half of either. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /**
     * Writes {@code text} to {@code file} through a temporary file beside it, created with {@code mode} (such as
     * "rw-------", so a secret is never readable by others, not even for a moment), and renamed over the file.
     */
    public static void replace(Path file, String text, Charset charset, String mode) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        try {
            Files.writeString(tmp, text, charset);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
