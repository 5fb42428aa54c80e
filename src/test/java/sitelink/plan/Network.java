package sitelink.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sitelink.config.ConfigProblem;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.config.SiteFile;
import sitelink.config.SystemChecks;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.route.Prefix;

/**
 * A planned network as its gateways would read it: every generated file written into a directory beside a private
 * key file of mode 0600 (at the path the file names, moved into that directory), then loaded as {@code sitelink
 * check} loads a hand-written site file. {@link #path} walks a packet through the files the way the gateways route it.
 */
public final class Network {
    final Map<String, SiteConfig> sites = new LinkedHashMap<>();

    /** The site files {@code plan} wrote into {@code dir}, by site name (each must load without an error). */
    public static Network read(Path dir, java.util.Collection<String> names) {
        Network n = new Network();
        for (String name : names) {
            SiteFile f = SiteFile.load(dir.resolve(name + ".yaml"));
            assertEquals(List.of(), f.errors(), name + ".yaml");
            n.sites.put(name, f.config().orElseThrow());
        }
        return n;
    }

    /** Writes {@code plan}'s files into {@code dir} and loads each; any problem {@code check} would report fails. */
    static Network load(Plan plan, Path dir) throws Exception {
        assertTrue(plan.ok(), () -> "the topology plans: " + plan.problems());
        Network n = new Network();
        for (Map.Entry<String, String> e : plan.files().entrySet()) {
            Path key = dir.resolve(e.getKey() + ".key");
            Key k = X25519.generatePrivate(new SecureRandom());
            Files.writeString(key, k.toBase64() + "\n");
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            String text = e.getValue().replaceFirst("(?m)^private_key_file: .*$", "private_key_file: " + key);
            Path file = dir.resolve(e.getKey() + ".yaml");
            Files.writeString(file, text);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            SiteFile f = SiteFile.load(file);
            List<ConfigProblem> problems = new ArrayList<>(f.errors());
            problems.addAll(SystemChecks.files(f));
            assertEquals(List.of(), problems, e.getKey() + ".yaml:\n" + text);
            n.sites.put(e.getKey(), f.config().orElseThrow());
        }
        return n;
    }

    /**
     * The sites a packet from {@code from}'s first subnet to {@code to}'s passes, following each file's routes (the
     * remote site whose remote_subnets hold the destination); at every site after the first, the remote site it
     * arrived from must carry the sender's subnet, or WireGuard would drop it there (and the reply would not come back).
     */
    public List<String> path(String from, String to) {
        Prefix src = sites.get(from).localSubnets().getFirst();
        Prefix dst = sites.get(to).localSubnets().getFirst();
        List<String> path = new ArrayList<>(List.of(from));
        String at = from;
        while (!at.equals(to)) {
            List<RemoteSite> carriers = sites.get(at).remoteSites().stream()
                    .filter(r -> r.remoteSubnets().stream().anyMatch(p -> p.contains(dst.address()))).toList();
            assertEquals(1, carriers.size(), at + " routes " + dst + " into exactly one remote site: " + carriers);
            String next = carriers.getFirst().name();
            String here = at;
            RemoteSite back = sites.get(next).remoteSite(here).orElseThrow(() -> new AssertionError(next + " has no link to " + here));
            assertTrue(back.remoteSubnets().stream().anyMatch(p -> p.contains(src.address())),
                    next + " accepts " + src + " (" + from + ") from " + at);
            path.add(next);
            at = next;
            assertTrue(path.size() <= sites.size(), "no loop: " + path);
        }
        return path;
    }
}
