package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.testbed.Offices;
import sitelink.testbed.Command;
import sitelink.testbed.Proc;
import sitelink.testbed.Namespace;

/**
 * The site-to-site tests' two offices: the test bed's {@link Offices} (host A 198.18.1.10 ── gateway A 203.0.113.1 ──
 * WAN router 203.0.113.254 ── gateway B 203.0.113.2 ── host B 198.18.2.10, "the internet" 198.51.100.1 beyond the
 * router; office C on demand) with what the tests add to it: per office a key, a site file and a running gateway.
 *
 * <p>Gateways run as a user runs them: {@code ./sitelink up FILE} with a site file whose key is in a 0600 file, or
 * wireguard-go through {@code wg-quick up IFACE.conf}.
 */
public final class TwoOffices implements AutoCloseable {
    public static final String WAN_ROUTER = Offices.WAN_ROUTER;
    /** An address beyond the WAN router, outside every office's subnets. */
    public static final String INTERNET_HOST = Offices.INTERNET_HOST;
    public static final int PORT = 51820;

    /** One office of the topology, with its keys, tunnel interface, site file and running gateway. */
    public static final class Office {
        private final Offices.Office site;
        private final String iface;
        private final Path keyFile;
        private final String privateKey;
        private final String publicKey;
        private Proc sitelink;
        private Path siteFile;
        private boolean wgQuickUp;

        private Office(Offices.Office site) {
            this.site = site;
            this.iface = E2e.uniqueName("so" + site.letter());
            this.privateKey = site.gateway().execOk("wg", "genkey").strip();
            this.publicKey = X25519.publicKey(Key.fromBase64(privateKey)).toBase64();
            this.keyFile = site.gateway().logDir().resolve(name() + ".key");
            writeSecret(keyFile, privateKey + "\n");
        }

        /** "office-a", "office-b", "office-c". */
        public String name() {
            return site.name();
        }

        public Namespace gateway() {
            return site.gateway();
        }

        public Namespace host() {
            return site.host();
        }

        public String lan() {
            return site.lan();
        }

        public String hostAddress() {
            return site.hostAddress();
        }

        public String wanAddress() {
            return site.wanAddress();
        }

        public String tunnelAddress() {
            return site.tunnelAddress();
        }

        /** The tunnel interface (unique on the machine, as its UAPI socket name must be). */
        public String iface() {
            return iface;
        }

        public String publicKey() {
            return publicKey;
        }

        public Path keyFile() {
            return keyFile;
        }

        /** The site file {@link #writeSiteFile} wrote. */
        public Path siteFile() {
            return siteFile;
        }

        /** The running {@code sitelink up} process. */
        public Proc sitelink() {
            if (sitelink == null) throw new IllegalStateException(name() + " does not run sitelink");
            return sitelink;
        }

        /** What this office's file says about it as a remote site of another. */
        private String remoteSubnets() {
            return lan() + ", " + tunnelAddress() + "/32";
        }

        @Override
        public String toString() {
            return name() + " (" + iface + ")";
        }
    }

    private final Offices topology;
    private final List<Office> offices = new ArrayList<>();

    private TwoOffices(Offices topology) {
        this.topology = topology;
    }

    /** Builds the WAN and offices A and B, with no gateway running yet. */
    public static TwoOffices create() {
        TwoOffices t = new TwoOffices(Offices.create(E2e.testbed()));
        try {
            for (Offices.Office o : t.topology.offices()) t.offices.add(new Office(o));
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    /** Both offices up on sitelink, each the other's only remote site; waits until host A reaches host B. */
    public static TwoOffices startSitelink() {
        return startSitelink(SiteExtras.NONE, SiteExtras.NONE);
    }

    /**
     * {@link #startSitelink()} with extras in A's and B's files; their policies must let host A ping host B
     * ({@code allow both icmp type 8}), which is how it waits for the tunnel.
     */
    public static TwoOffices startSitelink(SiteExtras extrasA, SiteExtras extrasB) {
        TwoOffices t = create();
        try {
            t.writeSiteFile(t.a(), extrasA, t.b());
            t.writeSiteFile(t.b(), extrasB, t.a());
            t.up(t.a());
            t.up(t.b());
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    public Office a() {
        return offices.get(0);
    }

    public Office b() {
        return offices.get(1);
    }

    public Namespace wan() {
        return topology.wan();
    }

    /** Adds the next office (C) on the same WAN: its gateway, its host, routes; no gateway running. */
    public Office addOffice() {
        Office o = new Office(topology.addOffice());
        offices.add(o);
        return o;
    }

    /**
     * What a site file may say beyond the topology: {@code policy} rules (docs/policy.md) given to every remote site,
     * and extra lines under {@code tunnel:} such as {@code "mss_clamp: false"} or {@code "mtu: 1380"}.
     */
    public record SiteExtras(List<String> policy, List<String> tunnel) {
        public static final SiteExtras NONE = new SiteExtras(List.of(), List.of());

        public static SiteExtras policy(String... rules) {
            return new SiteExtras(List.of(rules), List.of());
        }

        public SiteExtras withTunnel(String... lines) {
            return new SiteExtras(policy, List.of(lines));
        }
    }

    /** Writes {@code self}'s site file (YAML) naming {@code remotes} as its remote sites, endpoints included. */
    public Path writeSiteFile(Office self, Office... remotes) {
        return writeSiteFile(self, SiteExtras.NONE, remotes);
    }

    /** {@link #writeSiteFile(Office, Office...)} with {@code extras} (policy rules, tunnel options). */
    public Path writeSiteFile(Office self, SiteExtras extras, Office... remotes) {
        return writeSiteFile(self, writeSiteFileText(self, extras, remotes));
    }

    /** The YAML {@link #writeSiteFile(Office, Office...)} writes, for a test to add to (remote sites come last). */
    public String writeSiteFileText(Office self, Office... remotes) {
        return writeSiteFileText(self, SiteExtras.NONE, remotes);
    }

    private String writeSiteFileText(Office self, SiteExtras extras, Office... remotes) {
        String policy = extras.policy().isEmpty() ? "" : "    policy:\n" + extras.policy().stream()
                .map(rule -> "      - \"" + rule + "\"\n").collect(Collectors.joining());
        String sites = remotes.length == 0 ? "remote_sites: []\n" : "remote_sites:\n" + Arrays.stream(remotes)
                .map(r -> """
                          - name: %s
                            public_key: %s
                            endpoint: %s:%d
                            remote_subnets: [%s]
                        """.formatted(r.name(), r.publicKey(), r.wanAddress(), PORT, r.remoteSubnets()) + policy)
                .collect(Collectors.joining());
        String tunnelExtra = extras.tunnel().stream().map(l -> "  " + l + "\n").collect(Collectors.joining());
        return """
                # written by TwoOffices for %s
                name: %s
                private_key_file: %s
                listen_port: %d
                tunnel:
                  name: %s
                  addresses: [%s/30]
                %slocal_subnets: [%s]
                """.formatted(self.name(), self.name(), self.keyFile(), PORT, self.iface(), self.tunnelAddress(),
                tunnelExtra, self.lan()) + sites;
    }

    /** Writes {@code yaml} as {@code self}'s site file (mode 0600), for files {@link #writeSiteFile} cannot say. */
    public Path writeSiteFile(Office self, String yaml) {
        self.siteFile = self.gateway().logDir().resolve(self.name() + ".yaml");
        writeSecret(self.siteFile, yaml);
        return self.siteFile;
    }

    /** {@code ./sitelink up FILE} in the office's gateway namespace; waits until it says the site is up. */
    public Proc up(Office o) {
        return up(o, "");
    }

    /** {@link #up(Office)} with {@code javaOpts} in SITELINK_JAVA_OPTS (hidden settings such as -Dsitelink.pq.*). */
    public Proc up(Office o, String javaOpts) {
        String sitelink = E2e.home().resolve("sitelink").toString();
        Proc p = javaOpts.isEmpty() ? o.gateway().start(sitelink, "up", o.siteFile().toString())
                : o.gateway().start("env", "SITELINK_JAVA_OPTS=" + javaOpts, sitelink, "up", o.siteFile().toString());
        o.sitelink = p;
        E2e.await(Duration.ofSeconds(60), o.name() + "'s gateway to come up",
                () -> p.output().contains(" is up on ") || !p.isAlive(), p::tail);
        if (!p.isAlive()) fail(o.name() + "'s gateway exited: " + p.waitFor(Duration.ofSeconds(5)) + "\n" + p.tail());
        return p;
    }

    /**
     * Office {@code self} on wireguard-go through {@code wg-quick up IFACE.conf} (no kernel module here, so wg-quick
     * falls back to WG_QUICK_USERSPACE_IMPLEMENTATION), with forwarding turned on by hand as wg-quick does not.
     */
    public void wgQuickUp(Office self, Office... remotes) {
        E2e.require(E2e.onPath("wg-quick").isPresent(), "wg-quick (apt-get install wireguard-tools)");
        E2e.require(E2e.onPath("wireguard-go").isPresent(), "wireguard-go (apt-get install wireguard-go)");
        StringBuilder conf = new StringBuilder("""
                [Interface]
                PrivateKey = %s
                Address = %s/30
                ListenPort = %d
                """.formatted(self.privateKey, self.tunnelAddress(), PORT));
        for (Office r : remotes) {
            conf.append("""

                    [Peer]
                    PublicKey = %s
                    Endpoint = %s:%d
                    AllowedIPs = %s
                    """.formatted(r.publicKey(), r.wanAddress(), PORT, r.remoteSubnets()));
        }
        Path file = self.gateway().logDir().resolve(self.iface() + ".conf");
        writeSecret(file, conf.toString());
        self.siteFile = file;
        Command.Result up = self.gateway().exec(Duration.ofSeconds(60), "env",
                "WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go", "wg-quick", "up", file.toString());
        if (!up.ok()) fail("wg-quick up: " + up.describe());
        self.wgQuickUp = true;
        self.gateway().execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    }

    /** {@code sitelink reload FILE} in the office's gateway namespace, which must succeed; returns what it printed. */
    public String reload(Office o) {
        Command.Result r = tryReload(o);
        if (!r.ok()) fail("sitelink reload: " + r.describe());
        return r.stdout();
    }

    /** {@code sitelink reload FILE} in the office's gateway namespace, whatever its outcome. */
    public Command.Result tryReload(Office o) {
        return o.gateway().exec(Duration.ofSeconds(60), E2e.home().resolve("sitelink").toString(), "reload",
                o.siteFile().toString());
    }

    /** Stops the office's gateway as a service manager does (SIGTERM, or wg-quick down) and waits for it. */
    public void down(Office o) {
        if (o.sitelink != null) {
            o.sitelink.close();
        }
        if (o.wgQuickUp) {
            o.wgQuickUp = false;
            Command.Result r = o.gateway().exec(Duration.ofSeconds(30), "wg-quick", "down", o.siteFile().toString());
            if (!r.ok()) System.err.println("e2e: wg-quick down: " + r.describe());
        }
    }

    /** Stops every gateway, then deletes every namespace (and the links in them). */
    @Override
    public void close() {
        try {
            for (Office o : offices.reversed()) {
                try {
                    down(o);
                } catch (RuntimeException | Error e) {
                    System.err.println("e2e: stopping " + o + ": " + e);
                }
            }
        } finally {
            topology.close();
        }
    }

    static void writeSecret(Path file, String content) {
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
