package sitelink.os.process;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a file that decides what runs as root may be believed: the site file (it names the hook and the keys), a
 * key file, the events hook, the directory of the UAPI socket. Trusted means owned by root or by the user running
 * sitelink, and not writable by group or others: anyone else who could change it would choose what sitelink runs
 * or which key it uses, with our privileges.
 *
 * <p>Every check is an lstat(2), never a stat(2): a symbolic link is examined as the link (its owner), then followed
 * by hand to the next path, up to the file at the end, whose owner and mode come from one and the same lstat. So a
 * site file {@code /etc/sitelink/x.yaml -> /srv/conf/x.yaml} is accepted only when the link and its target both
 * belong to root (or us) and the target is not writable by group or others: the target is what is read, and the
 * link's owner is who chose that target, so neither vouches for the other. Links in the directories above the file
 * are not followed by hand (the kernel resolves them), and the directories themselves are not checked.
 */
public final class FileTrust {
    private static final int S_IFMT = 0170000, S_IFLNK = 0120000, S_IFREG = 0100000, S_IFDIR = 0040000;
    private static final int GROUP_OR_OTHERS_WRITE = 0022;
    /** As the kernel's ELOOP: a chain of links longer than this is refused. */
    private static final int MAX_LINKS = 40;

    private FileTrust() {
    }

    /** One path as lstat(2) saw it; {@code target} is what a symbolic link points to, as written in it. */
    public record Entry(Path path, int uid, int mode, Optional<Path> target) {
        public boolean isLink() {
            return (mode & S_IFMT) == S_IFLNK;
        }

        public boolean isRegularFile() {
            return (mode & S_IFMT) == S_IFREG;
        }

        public boolean isDirectory() {
            return (mode & S_IFMT) == S_IFDIR;
        }

        /** The permission bits, e.g. "0644". */
        public String octal() {
            return String.format("%04o", mode & 07777);
        }
    }

    /** The named path, the links it went through (in order, starting with the named path itself if it is one), and the file at the end. */
    public record Chain(Path named, List<Entry> links, Entry file) {
        public Chain {
            links = List.copyOf(links);
        }

        /** Who could change the file or the links leading to it besides root and {@code ourUid}, in chain order. */
        public List<Doubt> doubts(int ourUid) {
            List<Doubt> out = new ArrayList<>();
            for (Entry e : links) {
                if (e.uid() != 0 && e.uid() != ourUid) {
                    out.add(new Doubt.ForeignOwner(named, e, ourUid));
                }
            }
            if (file.uid() != 0 && file.uid() != ourUid) {
                out.add(new Doubt.ForeignOwner(named, file, ourUid));
            }
            if ((file.mode() & GROUP_OR_OTHERS_WRITE) != 0) {
                out.add(new Doubt.Writable(named, file));
            }
            return out;
        }
    }

    /** A reason not to trust a file; {@link #text()} is a sentence about the named path and how to fix it. */
    public sealed interface Doubt {
        /** "P is owned by uid 65534, neither root nor this user (uid 0); give it to root with: chown root P". */
        String text();

        /** The file or a link on the way to it belongs to someone other than root or us. */
        record ForeignOwner(Path named, Entry entry, int ourUid) implements Doubt {
            @Override
            public String text() {
                String who = "owned by uid " + entry.uid() + ", neither root nor this user (uid " + ourUid + ")";
                if (entry.isLink()) {
                    return subjectIs(named, entry) + " a symbolic link " + who + "; replace the link as root with: ln -sfn "
                            + entry.target().map(Path::toString).orElse("TARGET") + " " + entry.path();
                }
                return subjectIs(named, entry) + " " + who + "; give it to root with: chown root " + entry.path();
            }
        }

        /** The file itself can be written by its group or by others. */
        record Writable(Path named, Entry entry) implements Doubt {
            @Override
            public String text() {
                return subjectIs(named, entry) + " writable by group or others (mode " + entry.octal() + "); restrict it with: chmod go-w "
                        + entry.path();
            }
        }
    }

    /** "P is" when {@code e} is the named path itself, else "P leads to E, which is". */
    private static String subjectIs(Path named, Entry e) {
        return e.path().equals(named) ? named + " is" : named + " leads to " + e.path() + ", which is";
    }

    /**
     * lstat(2)s {@code path}; while it is a symbolic link, records it and goes on with its target (relative targets
     * against the link's directory). Throws {@link java.nio.file.NoSuchFileException} for a missing file or a
     * dangling link, and a {@link FileSystemException} for a loop.
     */
    public static Chain examine(Path path) throws IOException {
        List<Entry> links = new ArrayList<>();
        Path p = path;
        for (int hops = 0; ; hops++) {
            Map<String, Object> a = Files.readAttributes(p, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) a.get("uid");
            int mode = (Integer) a.get("mode");
            if ((mode & S_IFMT) != S_IFLNK) {
                return new Chain(path, links, new Entry(p, uid, mode, Optional.empty()));
            }
            if (hops == MAX_LINKS) {
                throw new FileSystemException(path.toString(), null, "more than " + MAX_LINKS + " symbolic links");
            }
            Path target = Files.readSymbolicLink(p);
            links.add(new Entry(p, uid, mode, Optional.of(target)));
            Path dir = p.toAbsolutePath().getParent();
            p = dir == null ? target : dir.resolve(target);
        }
    }

    /** The effective uid this process runs as: the "user running sitelink" whose files we trust besides root's. */
    public static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            return 0; // without /proc we can only accept root-owned files
        }
    }
}
