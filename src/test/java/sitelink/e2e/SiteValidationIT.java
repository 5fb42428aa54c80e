package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.testbed.Command;
import sitelink.testbed.Namespace;

/**
 * An admin starts a site with a broken file: {@code sitelink up BAD} exits 1, prints the one problem as
 * {@code file:line:column: what is wrong; how to fix it}, and the machine is exactly as before (links, addresses,
 * routes, forwarding, socket and PID files), because {@code up} validates the file and the machine before it changes
 * anything. Each test starts from the same good file and breaks one thing.
 */
class SiteValidationIT {
    private static final String OFFICE_B = X25519.publicKey(Key.fromBase64(
            "YFpBfFDgSRuK/8N5gV41dx3vrqXXN09Q6wa+hMVrk3M=")).toBase64();

    /** A good site file; each {@code %s} placeholder the tests may replace is named in {@link #file}. */
    private static String good(Path keyFile, String iface) {
        return """
                name: office-a
                private_key_file: %s
                listen_port: 51820
                tunnel:
                  name: %s
                  addresses: [198.19.0.1/30]
                local_subnets: [198.18.1.0/24]
                remote_sites:
                  - name: office-b
                    public_key: %s
                    endpoint: 198.51.100.2:51820
                    remote_subnets: [198.18.2.0/24, 198.19.0.2/32]
                """.formatted(keyFile, iface, OFFICE_B);
    }

    @Test
    void aPrivateKeyThatIsNotBase64IsRefused() {
        refused((f, k) -> f.replace("private_key_file: " + k, "private_key: not*base64*at-all"),
                "2:14: private_key is not valid base64 (a WireGuard key is 44 characters ending in '='); "
                        + "generate one with 'sitelink genkey'");
    }

    @Test
    void aPublicKeyOfTheWrongLengthIsRefused() {
        refused((f, k) -> f.replace(OFFICE_B, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                "10:17: public_key is 24 bytes long, but a WireGuard key is 32 bytes (44 base64 characters ending in "
                        + "'='); ask that site for its public key ('sitelink pubkey < its.key' there)");
    }

    @Test
    void aRemoteSiteWithOurOwnPublicKeyIsRefused() {
        refused((f, k) -> f.replace(OFFICE_B, publicKeyOf(k)),
                "10:17: public_key of office-b is this site's own public key (derived from the private key); use "
                        + "office-b's public key: run 'sitelink pubkey' on office-b's private key");
    }

    @Test
    void aMisspeltFieldIsRefusedWithASuggestion() {
        refused((f, k) -> f.replace("listen_port:", "listen_prot:"),
                "3:1: unknown field 'listen_prot' in the site; did you mean 'listen_port'?");
    }

    @Test
    void aRemoteSubnetOverlappingALocalSubnetIsRefused() {
        refused((f, k) -> f.replace("[198.18.2.0/24, 198.19.0.2/32]", "[198.18.1.128/25, 198.19.0.2/32]"),
                "12:22: remote subnet 198.18.1.128/25 of office-b overlaps local subnet 198.18.1.0/24 (line 7); "
                        + "traffic for those addresses would go into the tunnel instead of the LAN: make the subnets "
                        + "disjoint");
    }

    @Test
    void aRemoteSubnetContainingThePeersEndpointIsRefusedAsARoutingLoop() {
        refused((f, k) -> f.replace("198.19.0.2/32]", "198.51.100.0/24]"),
                "12:37: remote subnet 198.51.100.0/24 of office-b contains 198.51.100.2, the endpoint of office-b "
                        + "(line 11): the tunnel's own packets would be routed into the tunnel (a routing loop); narrow "
                        + "the subnet so that it leaves 198.51.100.2 out");
    }

    @Test
    void twoRemoteSitesClaimingTheSameSubnetAreRefused() {
        String officeC = X25519.publicKey(X25519.generatePrivate(new java.security.SecureRandom())).toBase64();
        refused((f, k) -> f + """
                          - name: office-c
                            public_key: %s
                            remote_subnets: [198.18.2.0/24]
                        """.formatted(officeC),
                "15:22: remote subnet 198.18.2.0/24 of office-c overlaps remote subnet 198.18.2.0/24 of office-b "
                        + "(line 12); an address can belong to one remote site only: make the subnets disjoint");
    }

    /** wireguard-go holds UDP 51820 in the same namespace, as a forgotten old gateway would. */
    @Test
    void aListenPortAlreadyInUseIsRefused() {
        refused((f, k) -> f, "3:14: listen_port 51820 is already in use on this machine (another sitelink, "
                + "wireguard-go or kernel WireGuard?); stop that program or choose another port (see: ss -ulpn "
                + "'sport = :51820')", ns -> {
                    WireGuardNode holder = WireGuardNode.WIREGUARD_GO.create().apply(ns, E2e.uniqueName("svh"));
                    holder.start();
                    holder.wgSet("listen-port", "51820");
                });
    }

    @Test
    void aKeyFileReadableByOthersIsRefused() {
        refused((f, k) -> {
            setMode(k, "rw-r--r--");
            return f;
        }, k -> "2:19: private_key_file " + k + " is readable or writable by group or others (mode 0644); restrict "
                + "it with: chmod 600 " + k, ns -> {});
    }

    /** The site file names the hook and the keys `up` runs as root with: another user must not be able to change it. */
    @Test
    void aSiteFileOthersCanWriteIsRefused() {
        refused((f, k) -> f, (file, k) -> "1:1: site file " + file + " is writable by group or others (mode 0666); "
                + "restrict it with: chmod go-w " + file, ns -> {}, file -> setMode(file, "rw-rw-rw-"));
    }

    /** The events hook runs as root: a script others can write is refused before anything starts. */
    @Test
    void anEventsHookOthersCanWriteIsRefused() {
        refused((f, k) -> {
            Path hook = k.resolveSibling("event-hook.sh");
            try {
                Files.writeString(hook, "#!/bin/sh\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            setMode(hook, "rwxrwxrwx");
            return f + "events: {hook: " + hook + "}\n";
        }, (file, k) -> "13:16: events hook " + k.resolveSibling("event-hook.sh") + " is writable by group or others "
                + "(mode 0777); restrict it with: chmod go-w " + k.resolveSibling("event-hook.sh"), ns -> {}, file -> {});
    }

    /**
     * A site file with an IKEv2 remote site: {@code check} accepts it and prints its settings; {@code up} needs UDP 500
     * and 4500, and with 500 held by another program (an IKE daemon, say) it refuses with the reason and the likely
     * culprit, and leaves nothing changed (the interface it had made is gone again).
     */
    @Test
    void anIkeV2SiteWhosePortIsTakenIsRefusedWithNothingChanged() {
        try (Namespace ns = E2e.namespace("bad")) {
            String iface = E2e.uniqueName("svb");
            Path keyFile = ns.logDir().resolve("office-a.key");
            TwoOffices.writeSecret(keyFile, ns.execOk("wg", "genkey"));
            Path psk = ns.logDir().resolve("office-a-branch.psk");
            TwoOffices.writeSecret(psk, ns.execOk("wg", "genpsk"));
            Path file = ns.logDir().resolve("office-a.yaml");
            TwoOffices.writeSecret(file, good(keyFile, iface) + """
                      - name: branch
                        protocol: ikev2
                        psk_file: %s
                        endpoint: 203.0.113.2
                        remote_subnets: [198.18.3.0/24]
                    """.formatted(psk));
            NamespaceState before = NamespaceState.of(ns, iface);
            String sitelink = E2e.home().resolve("sitelink").toString();

            Command.Result check = ns.exec(Duration.ofSeconds(60), sitelink, "check", file.toString());
            assertEquals(0, check.exitCode(), check.describe());
            assertTrue(check.stdout().contains("branch (IKEv2): 198.18.3.0/24 via 203.0.113.2:500, start_action start, "
                    + "auth psk"), check.describe());

            sitelink.testbed.Proc holder = ns.start(E2e.java(sitelink.e2e.tools.UdpPortHolder.class, "500"));
            E2e.await(Duration.ofSeconds(20), "UDP port 500 held", () -> holder.output().contains("holding 500"), holder::tail);
            String text = ns.execOk("cat", file.toString());
            String before500 = text.substring(0, text.indexOf("ikev2"));
            String at = before500.lines().count() + ":" + (before500.length() - before500.lastIndexOf('\n')); // where ikev2 is
            String held = file + ":" + at + ": IKEv2 sites need UDP port 500, which is already in use on this machine (another "
                    + "IKE daemon: strongSwan's charon, libreswan's pluto, or another sitelink with IKEv2 sites?); stop it "
                    + "(see: ss -ulpn 'sport = :500')";
            Command.Result heldCheck = ns.exec(Duration.ofSeconds(60), sitelink, "check", file.toString());
            assertEquals(1, heldCheck.exitCode(), "check says so before up would fail\n" + heldCheck.describe());
            assertTrue(heldCheck.stderr().contains(held), heldCheck.describe());
            Command.Result up = ns.exec(Duration.ofSeconds(60), sitelink, "up", file.toString());
            assertEquals(1, up.exitCode(), "sitelink up exits 1\n" + up.describe());
            assertTrue(up.stderr().contains(held) && up.stderr().contains("has errors; nothing was changed"), up.describe());
            assertEquals(before, NamespaceState.of(ns, iface), "the namespace is unchanged");
        }
    }

    private static void refused(BiFunction<String, Path, String> breakIt, String expected) {
        refused(breakIt, k -> expected, ns -> {});
    }

    private static void refused(BiFunction<String, Path, String> breakIt, String expected,
                                java.util.function.Consumer<Namespace> prepare) {
        refused(breakIt, k -> expected, prepare);
    }

    private static void refused(BiFunction<String, Path, String> breakIt,
                                java.util.function.Function<Path, String> expected,
                                java.util.function.Consumer<Namespace> prepare) {
        refused(breakIt, (file, k) -> expected.apply(k), prepare, file -> {});
    }

    /**
     * In a fresh namespace: {@code prepare} it, snapshot it, write the broken file ({@code afterWrite} may then change
     * its mode), run {@code sitelink up}; the exit code, the message (expected from the site file's and the key file's
     * paths) and the snapshot afterwards are what the user gets.
     */
    private static void refused(BiFunction<String, Path, String> breakIt, BiFunction<Path, Path, String> expected,
                                java.util.function.Consumer<Namespace> prepare, java.util.function.Consumer<Path> afterWrite) {
        try (Namespace ns = E2e.namespace("bad")) {
            prepare.accept(ns);
            String iface = E2e.uniqueName("svb");
            Path keyFile = ns.logDir().resolve("office-a.key");
            TwoOffices.writeSecret(keyFile, ns.execOk("wg", "genkey"));
            Path file = ns.logDir().resolve("office-a.yaml");
            TwoOffices.writeSecret(file, breakIt.apply(good(keyFile, iface), keyFile));
            afterWrite.accept(file);
            NamespaceState before = NamespaceState.of(ns, iface);

            Command.Result up;
            try {
                up = ns.exec(Duration.ofSeconds(60), E2e.home().resolve("sitelink").toString(), "up", file.toString());
            } finally {
                withoutWriteForOthers(ns.logDir());
            }

            assertEquals(1, up.exitCode(), "sitelink up exits 1\n" + up.describe());
            List<String> problems = up.stderr().lines().filter(l -> l.startsWith(file + ":")).toList();
            assertEquals(List.of(file + ":" + expected.apply(file, keyFile)), problems, "the one problem, located\n"
                    + up.describe());
            assertEquals(List.of("sitelink: " + file + " has errors; nothing was changed"),
                    up.stderr().lines().filter(l -> !l.startsWith(file + ":")).toList(), "and nothing else");
            assertEquals(before, NamespaceState.of(ns, iface), "the namespace is unchanged");
        }
    }

    /**
     * The files a test made writable by others stay in the build tree as logs; they lose that bit, so that the
     * launcher does not find the checkout changeable by others when it next has to build (./sitelink as root).
     */
    private static void withoutWriteForOthers(Path dir) {
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                var perms = Files.getPosixFilePermissions(f);
                perms.remove(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE);
                perms.remove(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE);
                Files.setPosixFilePermissions(f, perms);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String publicKeyOf(Path keyFile) {
        try {
            return X25519.publicKey(Key.fromBase64(Files.readString(keyFile).strip())).toBase64();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void setMode(Path file, String mode) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
