import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
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
 * checksums when it downloads them; what is in them is not changed here: every other entry is copied as it is.
 *
 * <p>A jar without a signature is left untouched (so is its time stamp, which an AOT cache made from it checks);
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
                int n = unsign(jar);
                if (n > 0) {
                    System.out.println("UnsignJars: " + jar.getFileName() + ": " + n + " signature files removed");
                }
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

    /** Rewrites {@code jar} without its signature files when it has any; returns how many it removed. */
    private static int unsign(Path jar) throws IOException {
        int signatures = 0;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                signatures += isSignatureFile(e.getName()) ? 1 : 0;
            }
        }
        if (signatures == 0) {
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
                in.transferTo(out);
                out.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return signatures;
    }
}
