package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import sitelink.testbed.Command;

/**
 * The Debian package as an operator meets it: {@code apt-get install ./sitelink_VERSION_amd64.deb} in a clean Debian
 * 12 root (mmdebstrap minbase, no Java), then {@code sitelink --version}, {@code man sitelink}, bash completion,
 * {@code sitelink check} on an installed example and {@code sitelink demo}, all from the package; then
 * {@code dpkg --purge} leaves only the site files the operator wrote.
 *
 * <p>Every command in the root runs under {@code unshare --mount --net}: /proc, /sys and /dev are mounted in a mount
 * namespace of its own, which the kernel removes with its last process, so no mount of the test ever appears on this
 * machine; the network namespace is empty, so nothing in the root can touch this machine's addresses or routes, and
 * apt cannot download (the base tarball brings the package lists and the .debs of the package's dependencies). The
 * demo's namespaces are mounts inside that mount namespace too. The package is the one {@code mvn -Pdeb package}
 * made (scripts/test builds it).
 */
@Tag(E2e.ALONE)
class DebPackageIT {
    private static final Duration STEP = Duration.ofMinutes(3);
    /** What the test needs in the root besides the package: man-db, zsh; iproute2's .deb only downloaded. */
    private static final List<String> MMDEBSTRAP = List.of("mmdebstrap", "--variant=minbase", "--format=tar",
            "--include=man-db,zsh", "--skip=cleanup/apt/lists,cleanup/apt/cache",
            "--customize-hook=chroot \"$1\" apt-get install --download-only -y --no-install-recommends iproute2",
            "bookworm");

    /**
     * Types "sitelink pki is", TAB, then goes to the start of the line and makes it a print command, in an interactive
     * zsh on a terminal: the line it prints is what the completion made of it. Waits 20 s at most.
     */
    private static final String ZSH_COMPLETES = """
            zmodload zsh/zpty
            zpty z zsh -f -i
            zpty -w z 'autoload -U compinit; compinit -u -D'
            zpty -w z $'sitelink pki is\\t\\C-aprint -r -- completed: '
            out=
            for i in {1..200}; do
              while zpty -r -t z chunk; do out+=$chunk; done
              [[ $out == *$'\\ncompleted: sitelink pki '* ]] && break
              sleep 0.1
            done
            zpty -d z
            print -r -- ${out//$'\\e'/}
            """;

    @Test
    void installsRunsTheDemoAndPurgesAllButTheSiteFiles() throws Exception {
        Assumptions.assumeFalse("false".equals(System.getProperty("sitelink.e2e")), "e2e tests disabled");
        E2e.require(E2e.isRoot(), "running as root (chroot, mounts)");
        E2e.require(E2e.onPath("mmdebstrap").isPresent(), "mmdebstrap (apt-get install mmdebstrap)");
        E2e.require(E2e.onPath("unshare").isPresent(), "unshare (util-linux)");
        E2e.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Path target = E2e.home().resolve("target");
        String version = jarVersion(target.resolve("sitelink.jar"));
        Path deb = target.resolve("sitelink_" + version.replace('-', '~') + "_amd64.deb");
        E2e.require(Files.exists(deb) && !Files.getLastModifiedTime(deb).toInstant()
                        .isBefore(Files.getLastModifiedTime(target.resolve("sitelink.jar")).toInstant()),
                deb.getFileName() + " built from the current jar (mvn -Pdeb package; scripts/test passes -Pdeb)");

        Path work = Files.createDirectories(target.resolve("deb-test"));
        Path base = baseTarball(work);
        Path root = Files.createTempDirectory(work, "root-");
        try {
            run(Duration.ofMinutes(2), "tar", "--numeric-owner", "-xpf", base.toString(), "-C", root.toString());
            Files.copy(deb, root.resolve("tmp").resolve(deb.getFileName()), StandardCopyOption.REPLACE_EXISTING);

            Command.Result install = inRoot(root,
                    "apt-get install -y --no-install-recommends /tmp/" + deb.getFileName());
            assertEquals(0, install.exitCode(), install.describe());
            assertTrue(inRoot(root, "dpkg-query -W -f '${Status}' iproute2").stdout().equals("install ok installed"),
                    "apt installed the package's Depends (iproute2)");

            Command.Result v = inRoot(root, "command -v sitelink && sitelink --version");
            assertEquals("/usr/bin/sitelink\nsitelink " + version + "\n", v.stdout(), v.describe());

            Command.Result man = inRoot(root, "MANWIDTH=80 man sitelink && MANWIDTH=80 man sitelink-demo");
            assertEquals(0, man.exitCode(), man.describe());
            assertTrue(man.stdout().contains("sitelink - Site-to-site VPN gateway speaking the WireGuard protocol.")
                    && man.stdout().contains("sitelink-demo - Show sitelink"), man.describe());

            Command.Result completion = inRoot(root,
                    "bash -c 'source /usr/share/bash-completion/completions/sitelink && complete -p sitelink'");
            assertEquals("complete -o default -F _complete_sitelink sitelink\n", completion.stdout(),
                    completion.describe());

            // zsh finds _sitelink in its default fpath: an interactive zsh on a terminal (zpty) completes a command.
            Files.writeString(root.resolve("tmp/complete.zsh"), ZSH_COMPLETES);
            Command.Result zsh = inRoot(root, "zsh -f /tmp/complete.zsh");
            assertTrue(zsh.stdout().contains("\ncompleted: sitelink pki issue"), zsh.describe());

            assertEquals("700 root\n", inRoot(root, "stat -c '%a %U' /etc/sitelink").stdout());
            assertTrue(Files.readString(root.resolve("lib/systemd/system/sitelink@.service"))
                    .contains("\nExecStart=/usr/bin/sitelink up /etc/sitelink/%i.yaml\n"),
                    "the unit runs the installed launcher");

            // The operator's site: an installed example with a fresh key, as README.md "Run a site" says.
            Command.Result check = inRoot(root, "cp /usr/share/doc/sitelink/examples/office-a.yaml /etc/sitelink/"
                    + " && (umask 077; sitelink genkey > /etc/sitelink/office-a.key)"
                    + " && sitelink check /etc/sitelink/office-a.yaml");
            assertEquals(0, check.exitCode(), check.describe());
            assertTrue(check.stdout().startsWith("site office-a serving 198.18.1.0/24: 1 remote site"),
                    check.describe());

            Command.Result demo = inRoot(root, "sitelink demo");
            assertEquals(0, demo.exitCode(), demo.describe());
            assertTrue(demo.stdout().contains("4 packets transmitted, 4 received, 0% packet loss")
                    && demo.stdout().contains("intact: every byte arrived, unchanged"), demo.describe());

            List<String> packaged = inRoot(root, "dpkg -L sitelink").stdout().lines().toList();
            Command.Result purge = inRoot(root, "dpkg --purge sitelink");
            assertEquals(0, purge.exitCode(), purge.describe());
            List<String> left = packaged.stream().filter(p -> !p.equals("/.") && Files.exists(root.resolve("." + p)))
                    .filter(p -> !isSharedDirectory(root, p)).toList();
            assertEquals(List.of("/etc/sitelink"), left, "purge removed all but the directory of the site files");
            try (Stream<Path> siteFiles = Files.list(root.resolve("etc/sitelink"))) {
                assertEquals(List.of("office-a.key", "office-a.yaml"),
                        siteFiles.map(p -> p.getFileName().toString()).sorted().toList(), "the operator's files stay");
            }
        } finally {
            removeRoot(root);
        }
    }

    /**
     * The minbase tarball, made once and kept in target/deb-test (mmdebstrap downloads ~50 MB; extracting the kept
     * one takes seconds). Its name carries a hash of the mmdebstrap command, so a changed command makes a new one.
     */
    private static Path baseTarball(Path work) throws IOException {
        Path tarball = work.resolve("bookworm-minbase-" + Integer.toHexString(MMDEBSTRAP.hashCode()) + ".tar");
        if (!Files.exists(tarball)) {
            Path partial = work.resolve(tarball.getFileName() + ".partial");
            Files.deleteIfExists(partial);
            List<String> command = new ArrayList<>(MMDEBSTRAP);
            command.add(partial.toString());
            run(Duration.ofMinutes(15), command.toArray(String[]::new));
            Files.move(partial, tarball, StandardCopyOption.ATOMIC_MOVE);
            try (Stream<Path> files = Files.list(work)) { // tarballs of an earlier mmdebstrap command: 300 MB each
                for (Path old : files.filter(f -> f.getFileName().toString().matches("bookworm-minbase-.*\\.tar"))
                        .filter(f -> !f.equals(tarball)).toList()) {
                    Files.delete(old);
                }
            }
        }
        return tarball;
    }

    /**
     * Runs {@code script} with /bin/sh chrooted into {@code root}, in new mount and network namespaces with the root
     * bound onto itself and /proc, /sys and /dev mounted in it (the demo needs all three, and /dev/net/tun).
     */
    private static Command.Result inRoot(Path root, String script) {
        // The root a mount point of its own: ip netns exec makes "/" a slave mount (mount --make-rslave /).
        String setup = "set -e; mount --bind \"$0\" \"$0\"; mount -t proc proc \"$0/proc\";"
                + " mount --rbind /sys \"$0/sys\"; mount --rbind /dev \"$0/dev\";"
                + " ip link set lo up 2>/dev/null || true;"
                + " exec chroot \"$0\" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8"
                + " DEBIAN_FRONTEND=noninteractive /bin/sh -c \"$1\"";
        return Command.run(STEP, null, List.of("unshare", "--mount", "--net", "--propagation", "private",
                "sh", "-c", setup, root.toString(), script));
    }

    /** Whether {@code path} is a directory other packages share (/usr/bin, /usr/share/man/man1), not the package's. */
    private static boolean isSharedDirectory(Path root, String path) {
        if (!Files.isDirectory(root.resolve("." + path)) || path.equals("/etc/sitelink")) return false;
        return !path.contains("sitelink");
    }

    /** Ends processes still running in the root (by PID), checks that no mount is under it, and deletes it. */
    private static void removeRoot(Path root) throws IOException {
        for (int round = 0; round < 2; round++) {
            try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
                all.filter(p -> rootOf(p).startsWith(root)).forEach(p -> {
                    p.destroyForcibly();
                    p.onExit().completeOnTimeout(p, 5, java.util.concurrent.TimeUnit.SECONDS).join();
                });
            }
        }
        List<String> mounts = mountsUnder(root);
        for (String mount : mounts) {
            Command.run(Duration.ofSeconds(30), null, List.of("umount", "-R", mount));
        }
        assertEquals(List.of(), mountsUnder(root), "no mount left under " + root + " (not deleting it)");
        run(Duration.ofMinutes(2), "rm", "-rf", "--one-file-system", root.toString());
        assertFalse(Files.exists(root), root + " deleted");
    }

    private static Path rootOf(ProcessHandle p) {
        try {
            return Path.of("/proc", Long.toString(p.pid()), "root").toRealPath();
        } catch (IOException e) {
            return Path.of("/");
        }
    }

    private static List<String> mountsUnder(Path root) throws IOException {
        String prefix = root.toRealPath().toString() + "/";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                .filter(m -> m.startsWith(prefix)).sorted((a, b) -> b.length() - a.length()).toList();
    }

    private static String jarVersion(Path jar) throws IOException {
        E2e.require(Files.exists(jar), jar + " (mvn package)");
        try (JarFile j = new JarFile(jar.toFile())) {
            return j.getManifest().getMainAttributes().getValue("Implementation-Version");
        }
    }

    private static void run(Duration timeout, String... command) {
        Command.runOk(timeout, List.of(command));
    }
}
