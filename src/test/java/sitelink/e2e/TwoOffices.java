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

/**
 * The "two offices" topology of the site-to-site issue, one namespace per machine:
 * <pre>
 *   host A ── gateway A ─┐                       ┌─ gateway B ── host B
 *   198.18.1.10   .1     │   WAN 198.51.100.0/24 │     .1   198.18.2.10
 *                 198.51.100.1 ── [wan: br0 .254] ── 198.51.100.2
 *                                   lo 203.0.113.1 ("the internet")
 * </pre>
 * Hosts route everything via their gateway; gateways route everything they have no better route for to the WAN router
 * (198.51.100.254), which also routes each office's LAN back to its gateway, so traffic that does not belong in the
 * tunnel visibly goes out in the clear. The WAN is IPv4 only (IPv6 disabled on its links) so that a capture there
 * shows exactly what the gateways send. {@link #addOffice()} adds office C (198.18.3.0/24, WAN .3) on the same WAN.
 * Tunnel addresses: A 198.19.0.1/30, B 198.19.0.2/30, C 198.19.0.6/30.
 *
 * <p>Gateways run as a user runs them: {@code ./sitelink up FILE} with a site file whose key is in a 0600 file, or
 * wireguard-go through {@code wg-quick up IFACE.conf}.
 */
public final class TwoOffices implements AutoCloseable {
    public static final String WAN_ROUTER = "198.51.100.254";
    /** An address beyond the WAN router, outside every office's subnets. */
    public static final String INTERNET_HOST = "203.0.113.1";
    public static final int PORT = 51820;
    private static final String[] TUNNEL_HOST = {"", "198.19.0.1", "198.19.0.2", "198.19.0.6"};

    /** One office: its gateway and LAN host namespaces, addresses, keys, tunnel interface and running gateway. */
    public static final class Office {
        private final int n;
        private final Netns gateway;
        private final Netns host;
        private final String iface;
        private final Path keyFile;
        private final String privateKey;
        private final String publicKey;
        private Proc sitelink;
        private Path siteFile;
        private boolean wgQuickUp;

        private Office(int n, Netns gateway, Netns host) {
            this.n = n;
            this.gateway = gateway;
            this.host = host;
            this.iface = E2e.uniqueName("so" + (char) ('a' + n - 1));
            this.privateKey = gateway.execOk("wg", "genkey").strip();
            this.publicKey = X25519.publicKey(Key.fromBase64(privateKey)).toBase64();
            this.keyFile = gateway.logDir().resolve(name() + ".key");
            writeSecret(keyFile, privateKey + "\n");
        }

        /** "office-a", "office-b", "office-c". */
        public String name() {
            return "office-" + (char) ('a' + n - 1);
        }

        public Netns gateway() {
            return gateway;
        }

        public Netns host() {
            return host;
        }

        public String lan() {
            return "198.18." + n + ".0/24";
        }

        public String hostAddress() {
            return "198.18." + n + ".10";
        }

        public String wanAddress() {
            return "198.51.100." + n;
        }

        public String tunnelAddress() {
            return TUNNEL_HOST[n];
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

    private final Netns wan;
    private final List<Office> offices = new ArrayList<>();

    private TwoOffices(Netns wan) {
        this.wan = wan;
    }

    /** Builds the WAN and offices A and B, with no gateway running yet. */
    public static TwoOffices create() {
        TwoOffices t = new TwoOffices(Netns.create("wan"));
        try {
            t.wan.ip("link", "add", "br0", "type", "bridge");
            t.wan.execOk("sysctl", "-q", "-w", "net.ipv6.conf.br0.disable_ipv6=1");
            t.wan.ip("addr", "add", WAN_ROUTER + "/24", "dev", "br0");
            t.wan.ip("link", "set", "br0", "up");
            // No dummy interfaces in this kernel: the WAN router's loopback plays the internet.
            t.wan.ip("addr", "add", INTERNET_HOST + "/32", "dev", "lo");
            t.addOffice();
            t.addOffice();
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

    public Netns wan() {
        return wan;
    }

    /** Adds the next office (C) on the same WAN: its gateway, its host, routes; no gateway running. */
    public Office addOffice() {
        int n = offices.size() + 1;
        String letter = String.valueOf((char) ('a' + n - 1));
        Netns gw = Netns.create("gw" + letter);
        Netns host;
        try {
            host = Netns.create("host" + letter);
        } catch (RuntimeException | Error e) {
            gw.close();
            throw e;
        }
        Office o;
        try {
            o = new Office(n, gw, host);
        } catch (RuntimeException | Error e) {
            host.close();
            gw.close();
            throw e;
        }
        offices.add(o);
        String port = "wp" + n;
        gw.ip("link", "add", "wan", "type", "veth", "peer", "name", port, "netns", wan.name());
        gw.execOk("sysctl", "-q", "-w", "net.ipv6.conf.wan.disable_ipv6=1");
        wan.execOk("sysctl", "-q", "-w", "net.ipv6.conf." + port + ".disable_ipv6=1");
        wan.ip("link", "set", port, "master", "br0");
        wan.ip("link", "set", port, "up");
        gw.ip("addr", "add", o.wanAddress() + "/24", "dev", "wan");
        gw.ip("link", "set", "wan", "up");
        gw.ip("route", "add", "default", "via", WAN_ROUTER);
        wan.ip("route", "add", o.lan(), "via", o.wanAddress());

        gw.ip("link", "add", "lan", "type", "veth", "peer", "name", "lan0", "netns", host.name());
        gw.ip("addr", "add", "198.18." + n + ".1/24", "dev", "lan");
        gw.ip("link", "set", "lan", "up");
        host.ip("addr", "add", o.hostAddress() + "/24", "dev", "lan0");
        host.ip("link", "set", "lan0", "up");
        host.ip("route", "add", "default", "via", "198.18." + n + ".1");
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
        String yaml = """
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
        self.siteFile = self.gateway().logDir().resolve(self.name() + ".yaml");
        writeSecret(self.siteFile, yaml);
        return self.siteFile;
    }

    /** {@code ./sitelink up FILE} in the office's gateway namespace; waits until it says the site is up. */
    public Proc up(Office o) {
        Proc p = o.gateway().start(E2e.home().resolve("sitelink").toString(), "up", o.siteFile().toString());
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
        Netns.Result up = self.gateway().exec(Duration.ofSeconds(60), "env",
                "WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go", "wg-quick", "up", file.toString());
        if (!up.ok()) fail("wg-quick up: " + up.describe());
        self.wgQuickUp = true;
        self.gateway().execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    }

    /** {@code sitelink reload FILE} in the office's gateway namespace, which must succeed; returns what it printed. */
    public String reload(Office o) {
        Netns.Result r = tryReload(o);
        if (!r.ok()) fail("sitelink reload: " + r.describe());
        return r.stdout();
    }

    /** {@code sitelink reload FILE} in the office's gateway namespace, whatever its outcome. */
    public Netns.Result tryReload(Office o) {
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
            Netns.Result r = o.gateway().exec(Duration.ofSeconds(30), "wg-quick", "down", o.siteFile().toString());
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
            for (Office o : offices.reversed()) {
                o.host().close();
                o.gateway().close();
            }
            wan.close();
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
