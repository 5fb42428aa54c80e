package sitelink.config;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks of a site file against this machine, changing nothing: {@code sitelink check} and {@code up} both run them
 * after {@link SiteFile} validated the file. They depend on the moment (a port free now may be taken later), so they
 * are kept apart from the file's own validation, which gives the same answer anywhere.
 */
public final class SystemChecks {
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SystemChecks() {
    }

    public static List<ConfigProblem> run(SiteFile file) {
        List<ConfigProblem> out = new ArrayList<>();
        int uid = currentUid();
        for (SiteFile.KeyFile k : file.keyFiles()) {
            out.addAll(keyFile(k, uid));
        }
        file.listenPortAt().flatMap(at -> listenPort(file.listenPort(), at)).ifPresent(out::add);
        file.hook().flatMap(SystemChecks::hook).ifPresent(out::add);
        return out;
    }

    /** The events hook must be there and executable now: found missing at the first event, it would be too late. */
    static Optional<ConfigProblem> hook(SiteFile.Hook h) {
        String p = h.path().toString();
        if (!Files.exists(h.path())) {
            return Optional.of(ConfigProblem.error(h.location(), "events hook " + p + " does not exist; create the "
                    + "script or correct the path"));
        }
        if (!Files.isRegularFile(h.path()) || !Files.isExecutable(h.path())) {
            return Optional.of(ConfigProblem.error(h.location(), "events hook " + p + " is not an executable file; "
                    + "make it executable with: chmod +x " + p));
        }
        return Optional.empty();
    }

    /**
     * A secret key file must be mode 0600 or stricter and owned by root or by us: anyone else who can read it can
     * impersonate the site, and anyone else who can write it can swap in their own key.
     */
    static List<ConfigProblem> keyFile(SiteFile.KeyFile k, int ourUid) {
        List<ConfigProblem> out = new ArrayList<>();
        String p = k.path().toString();
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(k.path());
            if (perms.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
                out.add(ConfigProblem.error(k.location(), k.label() + " " + p + " is readable or writable by group or others (mode "
                        + mode(perms) + "); restrict it with: chmod 600 " + p));
            }
            int owner = (Integer) Files.getAttribute(k.path(), "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != 0 && owner != ourUid) {
                out.add(ConfigProblem.error(k.location(), k.label() + " " + p + " is owned by uid " + owner
                        + ", neither root nor this user (uid " + ourUid + "); give it to root with: chown root " + p));
            }
        } catch (IOException | UnsupportedOperationException e) {
            out.add(ConfigProblem.error(k.location(), k.label() + " " + p + ": cannot read its permissions ("
                    + e.getClass().getSimpleName() + "); keep key files on a local Linux file system"));
        }
        return out;
    }

    /**
     * Tries to bind the UDP port the way the device does (IPv6 wildcard, which also takes IPv4) and lets it go at
     * once: a port held by another gateway or by wireguard-go would make {@code up} fail half-way.
     */
    static Optional<ConfigProblem> listenPort(int port, Location at) {
        if (port == 0) {
            return Optional.empty();
        }
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            ch.bind(new InetSocketAddress(InetAddress.getByName("::"), port));
            return Optional.empty();
        } catch (BindException e) {
            String why = e.getMessage() != null && e.getMessage().contains("ermission")
                    ? "needs root or CAP_NET_BIND_SERVICE (ports below 1024); run as root or choose a port above 1023"
                    : "is already in use on this machine (another sitelink, wireguard-go or kernel WireGuard?); "
                    + "stop that program or choose another port (see: ss -ulpn 'sport = :" + port + "')";
            return Optional.of(ConfigProblem.error(at, "listen_port " + port + " " + why));
        } catch (IOException e) {
            return Optional.of(ConfigProblem.error(at, "listen_port " + port + " cannot be bound ("
                    + e.getMessage() + "); check that the machine has IPv6 enabled on loopback"));
        }
    }

    private static String mode(Set<PosixFilePermission> perms) {
        String rwx = PosixFilePermissions.toString(perms);
        int m = 0;
        for (int i = 0; i < 9; i++) {
            m = m << 1 | (rwx.charAt(i) == '-' ? 0 : 1);
        }
        return String.format("%04o", m);
    }

    private static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            return 0; // without /proc we can only accept root-owned files
        }
    }
}
