package sitelink.os.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chain from a named path to its file, each step lstat'ed: what the owner and mode checks are made on. */
class FileTrustTest {
    @TempDir
    Path dir;

    @Test
    void followsEveryLinkByHandAndReportsEachOne() throws Exception {
        Path file = Files.writeString(dir.resolve("site.yaml"), "name: a\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        Path inner = Files.createSymbolicLink(dir.resolve("inner"), Path.of("site.yaml")); // relative to its directory
        Path outer = Files.createSymbolicLink(dir.resolve("outer"), inner);
        FileTrust.Chain c = FileTrust.examine(outer);
        assertEquals(List.of(outer, inner), c.links().stream().map(FileTrust.Entry::path).toList());
        assertTrue(c.links().stream().allMatch(FileTrust.Entry::isLink));
        assertEquals(dir.resolve("site.yaml"), c.file().path());
        assertTrue(c.file().isRegularFile());
        assertEquals("0640", c.file().octal(), "the mode of the file at the end, not of a link (always 0777)");
        int us = (Integer) Files.getAttribute(dir, "unix:uid");
        assertEquals(List.of(), c.doubts(us));
    }

    @Test
    void aDanglingLinkIsAMissingFileAndALoopIsRefused() throws Exception {
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere"));
        assertThrows(NoSuchFileException.class, () -> FileTrust.examine(dangling));
        Path a = dir.resolve("a"), b = dir.resolve("b");
        Files.createSymbolicLink(a, b);
        Files.createSymbolicLink(b, a);
        assertThrows(FileSystemException.class, () -> FileTrust.examine(a));
    }

    @Test
    void aFileWritableByItsGroupIsDoubtedEvenWhenOthersCannotWriteIt() throws Exception {
        Path file = Files.writeString(dir.resolve("hook"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxrwx---"));
        int us = (Integer) Files.getAttribute(dir, "unix:uid");
        assertEquals(List.of(file + " is writable by group or others (mode 0770); restrict it with: chmod go-w " + file),
                FileTrust.examine(file).doubts(us).stream().map(FileTrust.Doubt::text).toList());
    }
}
