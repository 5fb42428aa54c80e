package sitelink.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;
import sitelink.os.process.Pidfd;

/**
 * The gateway a PID file names, as {@code sitelink reload} finds it before signalling it. The PID file is only a hint:
 * a gateway that died leaves it behind and its PID may since belong to any process, and whoever could write the
 * file could name any process. So the PID must be positive (kill(2) takes 0 and -1 as "my process group" and
 * "everyone"), the process is held by a pidfd, and only then is its command line read: it must be {@code sitelink
 * up} of the same site file. A signal then goes through the pidfd, so it reaches that process or nothing, even if
 * the PID is reused meanwhile.
 */
public final class RunningGateway {
    private RunningGateway() {
    }

    /** The outcome of looking for the gateway. */
    public sealed interface Lookup {
        /** The gateway running the site file, held open: signal it through {@code process}, then close it. */
        record Found(Pidfd process) implements Lookup {
        }

        /** No gateway to signal, and why (a sentence ending in what to do). */
        record NotFound(String why) implements Lookup {
        }
    }

    /** The gateway for {@code iface} according to {@code runDirectory}/IFACE.pid, if it really runs {@code siteFile}. */
    public static Lookup find(Path runDirectory, String iface, Path siteFile) {
        Path pidFile = Gateway.pidFile(runDirectory, iface);
        String text;
        try {
            text = Files.readString(pidFile, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            return new Lookup.NotFound("no gateway is running for " + iface + " (no " + pidFile + "); start it with "
                    + "'sitelink up " + siteFile + "'");
        } catch (IOException e) {
            return new Lookup.NotFound("cannot read " + pidFile + ": " + e.getMessage());
        }
        int pid;
        try {
            pid = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return new Lookup.NotFound(pidFile + " does not hold a process ID; nothing was signalled (remove the file if "
                    + "no gateway runs for " + iface + ")");
        }
        if (pid <= 0) {
            return new Lookup.NotFound(pidFile + " holds " + pid + ", which names no single process (a signal to it would "
                    + "reach a whole process group or every process); nothing was signalled (remove the file)");
        }
        Pidfd process;
        try {
            process = Pidfd.open(pid);
        } catch (ErrnoException e) {
            return new Lookup.NotFound(e.errno() == Libc.ESRCH
                    ? "no gateway is running for " + iface + ": " + pidFile + " names pid " + pid + ", which has exited "
                            + "(a stale PID file); start it with 'sitelink up " + siteFile + "'"
                    : "cannot open pid " + pid + " named by " + pidFile + ": " + e.getMessage());
        }
        // Read after the pidfd is held: if this is still pid's process, the pidfd is that process.
        List<String> argv = commandLine(pid);
        Path proc = Path.of("/proc", Integer.toString(pid));
        if (!runs(argv, siteFile, proc.resolve("root"), proc.resolve("cwd"))) {
            process.close();
            Optional<String> other = otherSiteFile(argv, proc.resolve("root"), proc.resolve("cwd"));
            if (other.isPresent()) { // a gateway, of another file: reloading it with this one would apply the wrong file
                return new Lookup.NotFound("the gateway for " + iface + " (pid " + pid + ") runs " + other.get()
                        + ", not " + siteFile + "; nothing was signalled. Edit " + other.get() + " and run 'sitelink "
                        + "reload " + other.get() + "', or stop that gateway and run 'sitelink up " + siteFile + "'");
            }
            String shown = String.join(" ", argv);
            return new Lookup.NotFound(pidFile + " names pid " + pid + ", which is not a sitelink gateway running "
                    + siteFile + " (it runs: " + (shown.length() > 200 ? shown.substring(0, 200) + "..." : shown)
                    + "); nothing was signalled (remove the file if no gateway runs for " + iface + ")");
        }
        return new Lookup.Found(process);
    }

    /**
     * True when {@code argv} is sitelink's {@code up} (after {@code -jar .../sitelink*.jar} or the main class
     * {@code sitelink.cli.Main}) with an argument naming the same file as {@code siteFile}, absolute arguments seen
     * from the process's root {@code root} and relative ones from its working directory {@code cwd} (its
     * /proc/PID/root and /proc/PID/cwd, which also work across mount namespaces such as ip netns exec makes).
     */
    static boolean runs(List<String> argv, Path siteFile, Path root, Path cwd) {
        for (String a : upArguments(argv)) {
            try {
                if (Files.isSameFile(siteFile, seen(a, root, cwd))) {
                    return true;
                }
            } catch (IOException e) {
                // not a file, or not one we can see: not this argument
            }
        }
        return false;
    }

    /**
     * The site file a sitelink {@code up} command line runs (its first argument naming a regular file), as a path
     * the operator recognises: absolute, from the process's own root and working directory.
     */
    static Optional<String> otherSiteFile(List<String> argv, Path root, Path cwd) {
        for (String a : upArguments(argv)) {
            if (Files.isRegularFile(seen(a, root, cwd))) {
                try {
                    return Optional.of(a.startsWith("/") ? a : Files.readSymbolicLink(cwd).resolve(a).normalize().toString());
                } catch (IOException | UnsupportedOperationException e) {
                    return Optional.of(a);
                }
            }
        }
        return Optional.empty();
    }

    private static Path seen(String a, Path root, Path cwd) {
        return a.startsWith("/") ? root.resolve(a.substring(1)) : cwd.resolve(a);
    }

    /** The non-option arguments after sitelink's {@code up}; none when {@code argv} is not sitelink's {@code up}. */
    private static List<String> upArguments(List<String> argv) {
        int start = -1;
        for (int i = 0; i < argv.size() && start < 0; i++) {
            String a = argv.get(i);
            if (a.equals("-jar") && i + 1 < argv.size()
                    && argv.get(i + 1).replaceFirst(".*/", "").matches("sitelink.*\\.jar")) {
                start = i + 2;
            } else if (a.equals("sitelink.cli.Main")) {
                start = i + 1;
            }
        }
        if (start < 0 || start >= argv.size() || !argv.get(start).equals("up")) {
            return List.of();
        }
        return argv.subList(start + 1, argv.size()).stream().filter(a -> !a.isEmpty() && !a.startsWith("-")).toList();
    }

    /** /proc/PID/cmdline split into arguments; empty for a process that is gone or a zombie. */
    private static List<String> commandLine(int pid) {
        try {
            String s = new String(Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline")), StandardCharsets.UTF_8);
            return s.isEmpty() ? List.of() : Arrays.asList(s.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }
}
