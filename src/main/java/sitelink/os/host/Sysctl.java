package sitelink.os.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Kernel parameters under /proc/sys, named as sysctl(8) names them ({@code net.ipv4.ip_forward}). The net.*
 * entries are per network namespace: the kernel resolves them for the namespace of the thread that opens the
 * file, so a value read or written here is the calling thread's namespace's.
 */
public final class Sysctl {
    /** Routing between interfaces for IPv4: what a gateway needs to pass LAN traffic into the tunnel. */
    public static final String IPV4_FORWARDING = "net.ipv4.ip_forward";
    /** The same for IPv6; setting "all" also sets every interface's forwarding flag. */
    public static final String IPV6_FORWARDING = "net.ipv6.conf.all.forwarding";

    private final Path root;

    public Sysctl() {
        this(Path.of("/proc/sys"));
    }

    /** A tree laid out like /proc/sys somewhere else (tests). */
    public Sysctl(Path root) {
        this.root = root;
    }

    /** The current value, without the trailing newline. */
    public String get(String key) throws IOException {
        Path p = path(key);
        try {
            return Files.readString(p, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw new IOException("sysctl " + key + " does not exist (" + p + ")", e);
        }
    }

    /** Writes {@code value} and returns the value it replaced, so the caller can put it back. */
    public String set(String key, String value) throws IOException {
        String previous = get(key);
        try {
            Files.writeString(path(key), value + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("cannot set sysctl " + key + " to " + value + " (need root?): " + e.getMessage(), e);
        }
        return previous;
    }

    /**
     * Dots separate path components; a key that already uses slashes (needed when an interface name contains a
     * dot, as in {@code net/ipv6/conf/eth0.10/forwarding}) is taken as a path.
     */
    Path path(String key) {
        String rel = key.contains("/") ? key : key.replace('.', '/');
        if (rel.isEmpty() || rel.startsWith("/") || rel.contains("..") || rel.contains("\0")) {
            throw new IllegalArgumentException("'" + key + "' is not a sysctl name");
        }
        return root.resolve(rel);
    }
}
