import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites a jar's class files compiled for Java 5 or older (class file version below 50) as version 52 (Java 8)
 * class files, with the stack maps that version needs, so that an ahead-of-time cache can hold them:
 * {@code java scripts/UpgradeClassFiles.java JAR...}, run by {@code mvn package} on picocli's jar in target/lib/
 * before scripts/aot-cache. JDK 25 does not store a class verified by the old (pre-Java-6) verifier once it is linked
 * ("Old class has been linked" in the cache's log); picocli's 4.7 jar is compiled for Java 5, so every short command
 * loaded, parsed and verified its 170 classes from the jar at each start (docs/benchmarks.md "Start-up").
 *
 * <p>Only the class file version changes and stack maps are added (the JDK's ClassFile API computes them): the
 * bytecode and everything else stay as they are. A jar with no such class is left untouched (so is its time stamp,
 * which an AOT cache made from it checks); another is replaced whole (written beside it, then renamed).
 */
public final class UpgradeClassFiles {
    /** The first class file version the JVM verifies by type checking alone: Java 7 (51) made stack maps mandatory. */
    private static final int VERSION = 52;

    public static void main(String[] args) throws IOException {
        for (String a : args) {
            Path jar = Path.of(a);
            int n = upgrade(jar);
            System.out.println("UpgradeClassFiles: " + jar.getFileName() + ": "
                    + (n == 0 ? "nothing to upgrade" : n + " class files now version " + VERSION));
        }
    }

    /** Rewrites {@code jar} in place when it has old class files; returns how many it rewrote. */
    private static int upgrade(Path jar) throws IOException {
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        int upgraded = 0;
        // Stack maps name the common super class of two types where paths meet: the resolver reads the jar's own
        // classes, then the JDK's.
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.ofResourceParsing(loader)
                            .orElse(ClassHierarchyResolver.defaultResolver()).cached()));
            ClassTransform newVersion = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                    .andThen((builder, element) -> {
                        if (element instanceof ClassFileVersion) {
                            builder.withVersion(VERSION, 0);
                        } else {
                            builder.with(element);
                        }
                    });
            try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
                 ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    byte[] bytes = in.readAllBytes();
                    // META-INF/versions/ holds classes for newer JDKs (picocli's module-info): not old.
                    if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/")) {
                        ClassModel model = cf.parse(bytes);
                        if (model.majorVersion() < 50) {
                            bytes = cf.transformClass(model, newVersion);
                            upgraded++;
                        }
                    }
                    ZipEntry copy = new ZipEntry(e.getName());
                    copy.setTime(e.getTime());
                    out.putNextEntry(copy);
                    out.write(bytes);
                    out.closeEntry();
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        if (upgraded == 0) {
            Files.delete(tmp);
        } else {
            Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return upgraded;
    }
}
