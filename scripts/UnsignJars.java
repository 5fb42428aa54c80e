import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Removes the jar signatures (META-INF/*.SF and their .RSA/.DSA/.EC blocks) from library jars:
 * {@code java scripts/UnsignJars.java JAR|DIR...} (a directory: each of its jars), run by {@code mvn package} on
 * target/lib/ before scripts/aot-cache. The only signed jars there are Bouncy Castle's.
 *
 * <p>Why: the JDK puts no class of a signed jar into an ahead-of-time cache ("Skipping ...: Signed JAR"), so a gateway
 * loaded and verified Bouncy Castle's classes from the jars at every start, and the first class read from a signed jar
 * makes the JDK check the signature over the jar's whole manifest (bcprov's .SF lists the digests of its 5,000
 * entries): 0.4-1.6 s of a gateway's start on this machine kind (docs/benchmarks.md, "Start-up"). sitelink uses Bouncy
 * Castle as a library (BLAKE2s, certificate building), never as a registered JCA provider, which is the one use where
 * a signature counts (Oracle's JDK requires signed providers; OpenJDK builds do not). Maven checks the jars'
 * checksums when it downloads them; what is in them is not changed here: every other entry is copied as it is, but
 * for the manifest's per-entry sections that hold nothing but digests (the signature's: {@code SHA-256-Digest} for each
 * of bcprov's 5,000 classes, 820 KB), which without the signature mean nothing. Every JVM that loads a class from the
 * jar reads its manifest: those 1 MB of Bouncy Castle's digests were parsed at every gateway start, hot enough for
 * the JIT's C2 to compile the JDK's manifest parser (about 90 ms of C2 time while the start's warm-up wants it).
 *
 * <p>A jar without a signature or digests is left untouched (so is its time stamp, which an AOT cache made from it checks);
 * another is replaced whole (written beside it, then renamed).
 */
public final class UnsignJars {
    public static void main(String[] args) throws IOException {
        for (String a : args) {
            Path p = Path.of(a);
            List<Path> jars;
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    jars = s.filter(f -> f.toString().endsWith(".jar")).sorted().toList();
                }
            } else {
                jars = List.of(p);
            }
            for (Path jar : jars) {
                unsign(jar);
            }
        }
    }

    /** True for the files a jar signature consists of (JAR File Specification, "Signed JAR File"). */
    static boolean isSignatureFile(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (!n.startsWith("META-INF/") || n.indexOf('/', "META-INF/".length()) >= 0) {
            return false;
        }
        return n.endsWith(".SF") || n.endsWith(".RSA") || n.endsWith(".DSA") || n.endsWith(".EC")
                || n.startsWith("META-INF/SIG-");
    }

    /** Rewrites {@code jar} without its signature files and digests when it has any; returns how many signature files it removed. */
    private static int unsign(Path jar) throws IOException {
        int signatures = 0;
        int digests = 0;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                signatures += isSignatureFile(e.getName()) ? 1 : 0;
                if (e.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                    Manifest m = new Manifest(in);
                    int all = m.getEntries().size();
                    digests = all - withoutDigests(m).getEntries().size();
                }
            }
        }
        if (signatures == 0 && digests == 0) {
            return 0;
        }
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (isSignatureFile(e.getName())) {
                    continue;
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                out.putNextEntry(copy);
                if (e.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                    withoutDigests(new Manifest(in)).write(out);
                } else {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("UnsignJars: " + jar.getFileName() + ": " + signatures + " signature files and " + digests
                + " manifest sections of digests removed");
        return signatures;
    }

    /** The manifest without its per-entry sections of digests only; the main section and any other entry kept. */
    static Manifest withoutDigests(Manifest m) {
        m.getEntries().values().removeIf(a -> !a.isEmpty() && a.keySet().stream()
                .allMatch(k -> k.toString().toUpperCase(Locale.ROOT).endsWith("-DIGEST")));
        return m;
    }
}
