package sitelink.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import sitelink.testbed.Namespace;

/**
 * What a gateway may change in its namespace, as a user would look at it: links, addresses, IPv4 and IPv6 routes, the
 * forwarding sysctls, and the files named after the tunnel interface in /var/run/wireguard and /run/sitelink (both
 * shared by every namespace, so only our interface's entries count). Two snapshots are equal when nothing changed.
 */
public record NamespaceState(String links, String addresses, String routes, String routes6, String sysctls,
                             List<String> files) {
    private static final List<Path> RUN_DIRECTORIES = List.of(Path.of("/var/run/wireguard"), Path.of("/run/sitelink"));

    /** Takes the snapshot of {@code ns}, counting files whose name starts with {@code iface}. */
    public static NamespaceState of(Namespace ns, String iface) {
        // A new link's IPv6 link-local address (and its local route) appears only after duplicate address detection:
        // wait for it, or a snapshot taken just after building the topology differs from a later one by itself.
        E2e.await(Duration.ofSeconds(10), "IPv6 duplicate address detection in " + ns,
                () -> !ns.ip("-o", "addr", "show").contains("tentative"));
        return new NamespaceState(
                ns.ip("-o", "link", "show"),
                ns.ip("-o", "addr", "show"),
                ns.ip("route", "show", "table", "all"),
                ns.ip("-6", "route", "show", "table", "all"),
                ns.execOk("sysctl", "net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding",
                        "net.ipv6.conf.all.forwarding"),
                files(iface));
    }

    private static List<String> files(String iface) {
        List<String> out = new ArrayList<>();
        for (Path dir : RUN_DIRECTORIES) {
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().startsWith(iface)).map(Path::toString).sorted().forEach(out::add);
            } catch (IOException e) {
                out.add(dir + ": " + e);
            }
        }
        return out;
    }
}
