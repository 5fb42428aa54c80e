package sitelink.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import sitelink.testbed.Namespace;
import sitelink.testbed.Proc;

/**
 * strongSwan 5.9.8's charon with kernel-libipsec in its namespace, its config, {@code /run} and vici socket under the
 * namespace's log directory (see ../shared/strongswan-notes.md): the IKEv2 peer of {@link StrongSwanIkeIT} and
 * {@link StrongSwanCertIT}. The namespaces are linked by a veth (charon {@link #SWAN}, ours {@link #OURS}); charon's
 * LAN is a veth pair kept in its namespace with {@link #SWAN_LAN}.
 */
record Charon(Namespace ns, Path dir, Proc process, String swanctlCommand) {
    static final Path CHARON = Path.of("/usr/lib/ipsec/charon");
    /** The plugins strongSwan 5.9.8 (Debian's packages) needs here. */
    static final String PLUGINS_5 = "random nonce openssl aes sha1 sha2 hmac gcm kdf gmp x509 pubkey pem pkcs1 pkcs8 constraints revocation kernel-libipsec kernel-netlink socket-default vici";
    /** strongSwan 6 as ../shared/tools/strongswan-pq builds it: OpenSSL for the classical algorithms, {@code ml} for ML-KEM. */
    static final String PLUGINS_6 = "random nonce openssl ml kdf x509 pubkey pem pkcs1 pkcs8 constraints revocation kernel-libipsec kernel-netlink socket-default vici";

    /**
     * The install prefix of strongSwan 6 with ML-KEM (the {@code ml} plugin) and kernel-libipsec, which
     * ../shared/tools/strongswan-pq builds and scripts/test exports as {@code SITELINK_STRONGSWAN_PQ}; else that tool's
     * default cache, if built. A missing build skips (fails under CI=true) with how to make it.
     */
    static Path pqPrefix() {
        String env = System.getenv("SITELINK_STRONGSWAN_PQ");
        Path prefix = env != null && !env.isBlank() ? Path.of(env) : Path.of("/var/cache/strongswan-pq/root");
        E2e.require(Files.isExecutable(prefix.resolve("libexec/ipsec/charon")) && Files.isExecutable(prefix.resolve("sbin/swanctl")),
                "strongSwan 6 with ML-KEM at " + prefix + " (build it with: sudo bash ../shared/tools/strongswan-pq; scripts/test does, "
                        + "and exports SITELINK_STRONGSWAN_PQ)");
        return prefix;
    }
    static final String SWAN = "198.51.100.2", OURS = "198.51.100.1", SWAN_LAN = "198.18.2.1";

    /**
     * The {@code swanctl.conf} connection {@code site} with its CHILD SA {@code net} (198.18.2.0/24 === 198.18.1.0/24),
     * UDP-encapsulated: {@code local} and {@code remote} are the bodies of those sections, {@code more} further
     * connection options (such as {@code dpd_delay = 1s}).
     */
    static String connection(String proposals, String espProposals, String local, String remote, String more) {
        return """
                connections {
                  site {
                    version = 2
                    local_addrs = %s
                    remote_addrs = %s
                    encap = yes
                    %s
                    proposals = %s
                    local {
                      %s
                    }
                    remote {
                      %s
                    }
                    children {
                      net {
                        local_ts = 198.18.2.0/24
                        remote_ts = 198.18.1.0/24
                        esp_proposals = %s
                      }
                    }
                  }
                }
                """.formatted(SWAN, OURS, more, proposals, local, remote, espProposals);
    }

    String swanctl(String... args) {
        return ns.execOk(swanctlCommand(args));
    }

    /** swanctl where failing is expected (an {@code --initiate} the peer refuses): its result, not an exception. */
    sitelink.testbed.Command.Result swanctlMayFail(String... args) {
        return ns.exec(swanctlCommand(args));
    }

    private String[] swanctlCommand(String... args) {
        List<String> command = new ArrayList<>(List.of("env", "STRONGSWAN_CONF=" + dir.resolve("strongswan.conf"),
                "SWANCTL_DIR=" + dir.resolve("swanctl"), swanctlCommand));
        command.addAll(List.of(args));
        command.addAll(List.of("--uri", "unix://" + dir.resolve("run/charon.vici")));
        return command.toArray(String[]::new);
    }

    /**
     * Rekeys the CHILD SA {@code net} from charon's side and waits until {@code peer} (the IkePeer tool) installed the
     * new one, deleted the old one and an echo came back through the new one; charon's {@code --list-sas} then.
     */
    String rekeyChildAndAwait(Proc peer) {
        swanctl("--rekey", "--child", "net");
        E2e.await(Duration.ofSeconds(20), "the rekeyed CHILD SA installed, the old one deleted, echoes through the new one",
                () -> count(peer.output(), "INSTALLED CHILD SA") == 2 && peer.output().contains("CHILD_DELETED")
                        && peer.output().indexOf("ESP_REPLY", peer.output().lastIndexOf("INSTALLED CHILD SA")) > 0,
                () -> peer.tail() + "\n" + log());
        return swanctl("--list-sas");
    }

    /** The SPIs (16 hex digits, initiator's first) of the {@code n}th IKE SA rekey the IkePeer tool reported. */
    static String[] ikeSpis(String output, int n) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("IKE_REKEYED ([0-9a-f]{16})_i ([0-9a-f]{16})_r").matcher(output);
        for (int i = 0; i <= n; i++) {
            org.junit.jupiter.api.Assertions.assertTrue(m.find(), output);
        }
        return new String[] {m.group(1), m.group(2)};
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /**
     * The {@code swanctl.conf} connection of charon as office {@code self}'s gateway linked to office {@code remote}'s
     * sitelink (named after it, CHILD SA {@code net}, UDP-encapsulated, liveness checks every 5 s): {@code local} and
     * {@code remote} are the bodies of those sections, {@code child} further CHILD SA options.
     */
    static String officeConnection(TwoOffices.Office self, TwoOffices.Office remoteOffice, String proposals, String local,
                                   String remote, String localTs, String espProposals, String child) {
        return """
                connections {
                  %s {
                    version = 2
                    local_addrs = %s
                    remote_addrs = %s
                    encap = yes
                    proposals = %s
                    dpd_delay = 5s
                    local {
                      %s
                    }
                    remote {
                      %s
                    }
                    children {
                      net {
                        local_ts = %s
                        remote_ts = %s
                        esp_proposals = %s
                        %s
                      }
                    }
                  }
                }
                """.formatted(remoteOffice.name(), self.wanAddress(), remoteOffice.wanAddress(), proposals, local, remote, localTs,
                remoteOffice.lan(), espProposals, child);
    }

    /** Replaces {@code swanctl.conf} and loads it again (connections and secrets), as an operator's edit would. */
    void reload(String swanctlConf) throws IOException {
        Files.writeString(dir.resolve("swanctl/swanctl.conf"), swanctlConf);
        swanctl("--load-all", "--clear");
    }

    String log() {
        try {
            return Files.readString(dir.resolve("charon.log"));
        } catch (IOException e) {
            return "(no charon log: " + e + ")";
        }
    }

    /**
     * Links the namespaces, writes {@code swanctl.conf} and the {@code files} (a path under the swanctl directory, such
     * as {@code x509/right.crt}, to its source), starts charon and loads everything.
     */
    static Charon start(Namespace swan, Namespace ours, String swanctlConf, Map<String, Path> files) throws IOException {
        E2e.require(Files.isExecutable(CHARON) && E2e.onPath("swanctl").isPresent(), "strongSwan's charon and swanctl "
                + "(apt-get install --no-install-recommends strongswan-charon strongswan-swanctl libcharon-extra-plugins "
                + "libstrongswan-standard-plugins)");
        return start(swan, ours, swanctlConf, files, null, "");
    }

    /**
     * The same with strongSwan 6 from {@code prefix} (see {@link #pqPrefix}) instead of Debian's 5.9.8, and
     * {@code moreCharon} added to the {@code charon} section of strongswan.conf (such as {@code fragment_size = 1280}).
     */
    static Charon start(Namespace swan, Namespace ours, String swanctlConf, Map<String, Path> files, Path prefix, String moreCharon)
            throws IOException {
        String wan = E2e.uniqueName("ikw"), lan = E2e.uniqueName("ikl");
        swan.ip("link", "add", wan, "type", "veth", "peer", "name", wan + "p", "netns", ours.name());
        swan.ip("addr", "add", SWAN + "/24", "dev", wan);
        swan.ip("link", "set", wan, "up");
        ours.ip("addr", "add", OURS + "/24", "dev", wan + "p");
        ours.ip("link", "set", wan + "p", "up");
        // charon's LAN: a veth pair kept in its namespace (no dummy interfaces on this kernel)
        swan.ip("link", "add", lan, "type", "veth", "peer", "name", lan + "p");
        swan.ip("addr", "add", SWAN_LAN + "/24", "dev", lan);
        swan.ip("link", "set", lan, "up");
        swan.ip("link", "set", lan + "p", "up");
        return run(swan, swanctlConf, files, prefix, moreCharon);
    }

    /**
     * Starts Debian's charon in {@code swan} as it is (its links and addresses made by the caller) with
     * {@code swanctlConf} and the {@code files}, and loads everything.
     */
    static Charon run(Namespace swan, String swanctlConf, Map<String, Path> files) throws IOException {
        E2e.require(Files.isExecutable(CHARON) && E2e.onPath("swanctl").isPresent(), "strongSwan's charon and swanctl "
                + "(apt-get install --no-install-recommends strongswan-charon strongswan-swanctl libcharon-extra-plugins "
                + "libstrongswan-standard-plugins)");
        return run(swan, swanctlConf, files, null, "");
    }

    private static Charon run(Namespace swan, String swanctlConf, Map<String, Path> files, Path prefix, String moreCharon)
            throws IOException {
        Path charonBinary = prefix == null ? CHARON : prefix.resolve("libexec/ipsec/charon");
        String swanctlCommand = prefix == null ? "swanctl" : prefix.resolve("sbin/swanctl").toString();
        Path dir = swan.logDir().resolve("strongswan");
        Files.createDirectories(dir.resolve("run"));
        Files.deleteIfExists(dir.resolve("run/charon.vici")); // a charon that ran here before left its socket
        Files.createDirectories(dir.resolve("swanctl"));
        Files.writeString(dir.resolve("strongswan.conf"), """
                charon {
                  load = %2$s
                  %3$s
                  plugins {
                    vici {
                      socket = unix://%1$s/run/charon.vici
                    }
                  }
                  filelog {
                    log {
                      path = %1$s/charon.log
                      default = 1
                      ike = 2
                      cfg = 2
                      flush_line = yes
                    }
                  }
                }
                """.formatted(dir, prefix == null ? PLUGINS_5 : PLUGINS_6, moreCharon));
        Files.writeString(dir.resolve("swanctl/swanctl.conf"), swanctlConf);
        for (Map.Entry<String, Path> f : files.entrySet()) {
            Path to = dir.resolve("swanctl").resolve(f.getKey());
            Files.createDirectories(to.getParent());
            Files.copy(f.getValue(), to);
        }
        // 5.9.8 always writes /run/charon.pid: a private /run in its own mount namespace (exec keeps one PID throughout)
        Proc charon = swan.start("env", "STRONGSWAN_CONF=" + dir.resolve("strongswan.conf"), "unshare", "-m", "--propagation",
                "private", "sh", "-c", "mount --bind " + dir.resolve("run") + " /run && exec " + charonBinary);
        E2e.await(Duration.ofSeconds(20), "charon's vici socket", () -> Files.exists(dir.resolve("run/charon.vici")), charon::tail);
        Charon c = new Charon(swan, dir, charon, swanctlCommand);
        c.swanctl("--load-all");
        return c;
    }
}
