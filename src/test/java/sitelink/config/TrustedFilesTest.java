package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files that decide what sitelink does as root (the site file, its key files, its events hook) are refused when
 * someone other than root or us could change them, by owner or mode, with links examined as links (lstat), never
 * taken on the word of their target. Runs as root, so it can give files to nobody (uid 65534) as another user would
 * own them.
 */
class TrustedFilesTest {
    private static final int NOBODY = 65534;

    @TempDir
    Path dir;

    @BeforeEach
    void asRoot() throws Exception {
        Assumptions.assumeTrue((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0,
                "needs root to give files to another user");
    }

    /** office-a.yaml naming its key file office-a.key (0600) by absolute path, with {@code extra} appended; no listen port. */
    private Path siteFile(String extra) throws Exception {
        Path key = dir.resolve("office-a.key");
        write(key, SiteFileTest.ALICE_PRIVATE + "\n", "rw-------");
        Path yaml = dir.resolve("office-a.yaml");
        write(yaml, SiteFileTest.GOOD.replace("private_key: " + SiteFileTest.ALICE_PRIVATE, "private_key_file: " + key)
                .replace("listen_port: 51820\n", "") + extra, "rw-r--r--");
        return yaml;
    }

    private static void write(Path file, String text, String mode) throws Exception {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    private static void giveTo(Path file, int uid) throws Exception {
        Files.setAttribute(file, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS); // lchown: a link itself, not its target
    }

    private static List<String> problems(Path siteFile) {
        SiteFile f = SiteFile.load(siteFile);
        assertTrue(f.config().isPresent(), "the file itself is fine; only its owner or mode is not: " + f.problems());
        return SystemChecks.run(f).stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void aSiteFileOthersCanWriteIsRefused() throws Exception {
        Path yaml = siteFile("");
        Files.setPosixFilePermissions(yaml, PosixFilePermissions.fromString("rw-rw-r--"));
        assertEquals(List.of(yaml + ":1:1: site file " + yaml + " is writable by group or others (mode 0664); restrict "
                + "it with: chmod go-w " + yaml), problems(yaml));
    }

    @Test
    void aSiteFileOwnedByAnotherUserIsRefused() throws Exception {
        Path yaml = siteFile("");
        giveTo(yaml, NOBODY);
        assertEquals(List.of(yaml + ":1:1: site file " + yaml + " is owned by uid 65534, neither root nor this user (uid 0); "
                + "give it to root with: chown root " + yaml), problems(yaml));
    }

    @Test
    void aSiteFileOfRootWithTheDefaultMode0644Passes() throws Exception {
        assertEquals(List.of(), problems(siteFile("")));
    }

    /**
     * /etc/sitelink/x.yaml -> elsewhere: what is read is the target, so the target's owner and mode count; whoever
     * owns the link chose that target, so its owner counts too. Neither vouches for the other.
     */
    @Test
    void aLinkedSiteFileNeedsATrustedLinkAndATrustedTarget() throws Exception {
        Path target = siteFile("");
        Path link = Files.createDirectories(dir.resolve("etc")).resolve("office-a.yaml");
        Files.createSymbolicLink(link, target);
        assertEquals(List.of(), problems(link), "root's link to root's file");

        giveTo(target, NOBODY);
        assertEquals(List.of(link + ":1:1: site file " + link + " leads to " + target + ", which is owned by uid 65534, "
                + "neither root nor this user (uid 0); give it to root with: chown root " + target), problems(link));

        giveTo(target, 0);
        giveTo(link, NOBODY);
        assertEquals(List.of(link + ":1:1: site file " + link + " is a symbolic link owned by uid 65534, neither root nor "
                + "this user (uid 0); replace the link as root with: ln -sfn " + target + " " + link), problems(link));
    }

    @Test
    void aSiteFileHoldingAKeyInlineAndReadableByOthersIsWarnedAbout() throws Exception {
        Path yaml = dir.resolve("office-a.yaml");
        write(yaml, SiteFileTest.GOOD.replace("listen_port: 51820\n", ""), "rw-r--r--");
        assertEquals(List.of(yaml + ":1:1: warning: site file " + yaml + " holds a key and is readable by others (mode "
                + "0644); restrict it with: chmod 600 " + yaml), problems(yaml), "as wg-quick warns; not an error");
        Files.setPosixFilePermissions(yaml, PosixFilePermissions.fromString("rw-r-----"));
        assertEquals(List.of(), problems(yaml));
    }

    @Test
    void aHookOthersCanWriteOrOwnedByAnotherUserIsRefused() throws Exception {
        Path hook = dir.resolve("event.sh");
        write(hook, "#!/bin/sh\n", "rwxrwxr-x");
        Path yaml = siteFile("events: {hook: " + hook + "}\n");
        String at = yaml + ":12:16: events hook ";
        assertEquals(List.of(at + hook + " is writable by group or others (mode 0775); restrict it with: chmod go-w "
                + hook), problems(yaml));

        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(List.of(), problems(yaml));
        giveTo(hook, NOBODY);
        assertEquals(List.of(at + hook + " is owned by uid 65534, neither root nor this user (uid 0); give it to root "
                + "with: chown root " + hook), problems(yaml));
    }

    @Test
    void aHookLinkedToAnotherUsersScriptIsRefused() throws Exception {
        Path script = dir.resolve("their-script.sh");
        write(script, "#!/bin/sh\n", "rwxr-xr-x");
        giveTo(script, NOBODY);
        Path hook = dir.resolve("event.sh");
        Files.createSymbolicLink(hook, script.getFileName()); // relative, as ln -s usually makes them
        Path yaml = siteFile("events: {hook: " + hook + "}\n");
        assertEquals(List.of(yaml + ":12:16: events hook " + hook + " leads to " + script + ", which is owned by uid "
                + "65534, neither root nor this user (uid 0); give it to root with: chown root " + script), problems(yaml));
    }

    /** The key file's mode was read through the link and its owner from the link: a root link to a user's key passed. */
    @Test
    void aKeyFileLinkedToAnotherUsersKeyIsRefused() throws Exception {
        Path yaml = siteFile("");
        Path theirs = dir.resolve("their.key");
        Files.move(dir.resolve("office-a.key"), theirs);
        giveTo(theirs, NOBODY);
        Path key = dir.resolve("office-a.key");
        Files.createSymbolicLink(key, theirs);
        assertEquals(List.of(yaml + ":2:19: private_key_file " + key + " leads to " + theirs + ", which is owned by uid "
                + "65534, neither root nor this user (uid 0); give it to root with: chown root " + theirs), problems(yaml));
    }
}
