package sitelink.config;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import sitelink.os.process.FileTrust;

/**
 * Checks of a site file against this machine, changing nothing: {@code sitelink check} and {@code up} both run them
 * after {@link SiteFile} validated the file. They depend on the moment (a port free now may be taken later), so they
 * are kept apart from the file's own validation, which gives the same answer anywhere.
 */
public final class SystemChecks {
    private SystemChecks() {
    }

    public static List<ConfigProblem> run(SiteFile file) {
        List<ConfigProblem> out = new ArrayList<>(files(file));
        file.listenPortAt().flatMap(at -> listenPort(file.listenPort(), at)).ifPresent(out::add);
        if (file.config().isPresent()) {
            file.ikeAt().ifPresent(at -> out.addAll(ikePorts(at)));
        }
        out.addAll(pskAges(file, Instant.now()));
        return out;
    }

    /**
     * A warning, at the line that names the file, for each pre-shared key due for rotation at {@code now}: an IKEv2
     * site's {@code psk_file}, and a WireGuard site's {@code preshared_key_file} alike.
     */
    public static List<ConfigProblem> pskAges(SiteFile file, Instant now) {
        List<ConfigProblem> out = new ArrayList<>();
        for (IkeSite site : file.config().map(SiteConfig::ikeSites).orElse(List.of())) {
            if (site.auth() instanceof IkeAuth.Psk p) {
                Location at = file.keyFiles().stream().filter(k -> k.path().equals(p.file())).findFirst()
                        .map(SiteFile.KeyFile::location).orElse(new Location(file.displayName(), 1, 1));
                pskRotation(site, now).ifPresent(m -> out.add(ConfigProblem.warning(at, m)));
            }
        }
        for (SiteFile.KeyFile k : file.keyFiles()) {
            if (k.label().equals("preshared_key_file")) {
                daysUnchanged(k.path(), now).ifPresent(days -> out.add(ConfigProblem.warning(k.location(),
                        "rotate the PSK: " + days + " days old (preshared_key_file " + k.path() + "); make a new key "
                                + "with: umask 077; sitelink genpsk > " + k.path() + ", and give the other site the same key")));
            }
        }
        return out;
    }

    /** Days since {@code file} last changed, when more than {@link IkeAuth.Psk#ROTATE_AFTER_DAYS}. */
    private static Optional<Long> daysUnchanged(java.nio.file.Path file, Instant now) {
        try {
            long days = Duration.between(Files.getLastModifiedTime(file).toInstant(), now).toDays();
            return days > IkeAuth.Psk.ROTATE_AFTER_DAYS ? Optional.of(days) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // reading it was checked already; a vanished file is not an age
        }
    }

    /**
     * "rotate the PSK: 97 days old" when the site's pre-shared key file was last changed more than
     * {@link IkeAuth.Psk#ROTATE_AFTER_DAYS} days before {@code now}: a key that never changes has had the longest
     * time to leak, and unlike a certificate it cannot be revoked. For {@code check}, {@code status} and
     * {@code diagnose} alike.
     */
    public static Optional<String> pskRotation(IkeSite site, Instant now) {
        if (!(site.auth() instanceof IkeAuth.Psk p)) {
            return Optional.empty();
        }
        return daysUnchanged(p.file(), now).map(days -> {
            Instant changed = now.minus(Duration.ofDays(days));
            try {
                changed = Files.getLastModifiedTime(p.file()).toInstant();
            } catch (IOException e) {
                // the age was read a moment ago
            }
            return "rotate the PSK: " + days + " days old (" + site.name() + "'s psk_file " + p.file()
                    + " last changed " + changed.atZone(ZoneOffset.UTC).toLocalDate() + "); make a new key with: umask "
                    + "077; sitelink genpsk > " + p.file() + ", and give the other gateway the same key";
        });
    }

    /**
     * The files that decide what sitelink does as root: the site file itself (it names the hook and the keys), its
     * key files and its events hook. A reload checks them again (the listen port is the gateway's own by then).
     */
    public static List<ConfigProblem> files(SiteFile file) {
        List<ConfigProblem> out = new ArrayList<>();
        int uid = FileTrust.currentUid();
        file.path().ifPresent(p -> out.addAll(siteFile(p, new Location(file.displayName(), 1, 1), file.inlineKey(), uid)));
        for (SiteFile.KeyFile k : file.keyFiles()) {
            out.addAll(keyFile(k, uid));
        }
        file.hook().ifPresent(h -> out.addAll(hook(h, uid)));
        return out;
    }

    /**
     * Refused when someone other than root or us could have written it; a file holding a key inline is a secret,
     * and others reading it is warned about, as wg-quick warns about a world-accessible configuration.
     */
    static List<ConfigProblem> siteFile(Path path, Location at, boolean holdsKey, int ourUid) {
        return examined("site file", path, at, c -> {
            List<ConfigProblem> out = errors("site file", c, at, ourUid);
            if (holdsKey && (c.file().mode() & 0004) != 0) {
                out.add(ConfigProblem.warning(at, "site file " + path + " holds a key and is readable by others (mode "
                        + c.file().octal() + "); restrict it with: chmod 600 " + path));
            }
            return out;
        });
    }

    /** The events hook must be there and executable now (found missing at the first event, it would be too late), and trusted. */
    static List<ConfigProblem> hook(SiteFile.Hook h, int ourUid) {
        String p = h.path().toString();
        if (!Files.exists(h.path())) {
            return List.of(ConfigProblem.error(h.location(), "events hook " + p + " does not exist; create the "
                    + "script or correct the path"));
        }
        return examined("events hook", h.path(), h.location(), c -> {
            if (!c.file().isRegularFile() || !Files.isExecutable(h.path())) {
                return List.of(ConfigProblem.error(h.location(), "events hook " + p + " is not an executable file; "
                        + "make it executable with: chmod +x " + p));
            }
            return errors("events hook", c, h.location(), ourUid);
        });
    }

    /**
     * A secret key file must be mode 0600 or stricter and owned by root or by us: anyone else who can read it can
     * impersonate the site, and anyone else who can write it can swap in their own key.
     */
    static List<ConfigProblem> keyFile(SiteFile.KeyFile k, int ourUid) {
        return examined(k.label(), k.path(), k.location(), c -> {
            List<ConfigProblem> out = new ArrayList<>();
            if ((c.file().mode() & 0077) != 0) {
                out.add(ConfigProblem.error(k.location(), k.label() + " " + k.path() + " is readable or writable by group "
                        + "or others (mode " + c.file().octal() + "); restrict it with: chmod 600 " + k.path()));
            }
            // Its write bits are in the message above already.
            c.doubts(ourUid).stream().filter(d -> d instanceof FileTrust.Doubt.ForeignOwner)
                    .forEach(d -> out.add(ConfigProblem.error(k.location(), k.label() + " " + d.text())));
            return out;
        });
    }

    /** Every {@link FileTrust.Doubt} about {@code c} as an error at {@code at}. */
    private static List<ConfigProblem> errors(String label, FileTrust.Chain c, Location at, int ourUid) {
        List<ConfigProblem> out = new ArrayList<>();
        c.doubts(ourUid).forEach(d -> out.add(ConfigProblem.error(at, label + " " + d.text())));
        return out;
    }

    /** {@code check} of the chain of {@code path}, or the error saying it could not be examined. */
    private static List<ConfigProblem> examined(String label, Path path, Location at,
                                                Function<FileTrust.Chain, List<ConfigProblem>> check) {
        FileTrust.Chain c;
        try {
            c = FileTrust.examine(path);
        } catch (IOException | UnsupportedOperationException e) {
            return List.of(ConfigProblem.error(at, label + " " + path + ": cannot read its owner and mode ("
                    + e.getClass().getSimpleName() + "); keep it on a local Linux file system"));
        }
        return check.apply(c);
    }

    /** IKE's UDP ports, 500 and 4500, which {@code up} opens for the file's IKEv2 sites: an error for each that is held. */
    static List<ConfigProblem> ikePorts(Location at) {
        List<ConfigProblem> out = new ArrayList<>();
        for (int port : new int[] {500, 4500}) {
            bindFailure(port).ifPresent(e -> out.add(ConfigProblem.error(at, "IKEv2 sites need UDP port " + port + ", which "
                    + (e instanceof BindException && !denied(e)
                    ? "is already in use on this machine (another IKE daemon: strongSwan's charon, libreswan's pluto, or "
                    + "another sitelink with IKEv2 sites?); stop it (see: ss -ulpn 'sport = :" + port + "')"
                    : denied(e) ? "needs root or CAP_NET_BIND_SERVICE; run as root"
                    : "cannot be bound (" + e.getMessage() + ")"))));
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
        return bindFailure(port).map(e -> ConfigProblem.error(at, "listen_port " + port + " " + (denied(e)
                ? "needs root or CAP_NET_BIND_SERVICE (ports below 1024); run as root or choose a port above 1023"
                : e instanceof BindException
                ? "is already in use on this machine (another sitelink, wireguard-go or kernel WireGuard?); "
                + "stop that program or choose another port (see: ss -ulpn 'sport = :" + port + "')"
                : "cannot be bound (" + e.getMessage() + "); check that the machine has IPv6 enabled on loopback")));
    }

    private static boolean denied(IOException e) {
        return e instanceof BindException && e.getMessage() != null && e.getMessage().contains("ermission");
    }

    /** Why the UDP {@code port} cannot be bound now (IPv6 wildcard, which also takes IPv4), or empty when it can. */
    private static Optional<IOException> bindFailure(int port) {
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            ch.bind(new InetSocketAddress(InetAddress.getByName("::"), port));
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(e);
        }
    }
}
