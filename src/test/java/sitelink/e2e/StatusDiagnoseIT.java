package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.testbed.Command;
import sitelink.testbed.Proc;
import sitelink.testbed.Namespace;
import sitelink.testbed.PointToPoint;

/**
 * Two offices run `sitelink up` with site files; the operator asks `sitelink status`, reads the log, scrapes the
 * metrics and runs `sitelink diagnose`. The happy path shows ESTABLISHED with counters that match the pings sent, a
 * real rsyslog receives the up and down events, and no log line holds a private or preshared key. Each deliberate
 * mistake (wrong peer public key, different preshared keys, wrong remote subnets) is named by status, log and diagnose.
 */
class StatusDiagnoseIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LAN_A = "198.19.1.1", LAN_B = "198.19.2.1";

    /** One office: namespace, keys, site file, the running `sitelink up`. */
    private record Office(Namespace ns, String site, String iface, Key privateKey, Path file) {
        Key publicKey() {
            return X25519.publicKey(privateKey);
        }
    }

    private static final class Pair implements AutoCloseable {
        final PointToPoint link = PointToPoint.create(E2e.testbed());
        final Namespace nsA = link.a();
        final Namespace nsB = link.b();
        final Key privA = X25519.generatePrivate(new java.security.SecureRandom());
        final Key privB = X25519.generatePrivate(new java.security.SecureRandom());
        final String ifA = E2e.uniqueName("sla");
        final String ifB = E2e.uniqueName("slb");
        final List<Proc> gateways = new ArrayList<>();
        final List<String> secrets = new ArrayList<>();

        Pair() {
            secrets.add(privA.toBase64());
            secrets.add(privA.toHex());
            secrets.add(privB.toBase64());
            secrets.add(privB.toHex());
        }

        /** Writes a site file; {@code extra} is appended at top level, {@code remote} inside the remote site. */
        Path siteFile(Namespace ns, String name, String iface, Key priv, String tunnelAddr, String localNet, String peerName,
                      Key peerKey, String peerOuter, String remoteNet, String remote, String extra) throws IOException {
            Path f = Files.createTempFile(ns.logDir(), name + "-", ".yaml");
            Files.writeString(f, """
                    name: %s
                    private_key: %s
                    listen_port: %d
                    tunnel: {name: %s, addresses: [%s/24]}
                    local_subnets: [%s]
                    remote_sites:
                      - name: %s
                        public_key: %s
                        endpoint: %s:%d
                        remote_subnets: [%s]
                        persistent_keepalive: 1
                    %s
                    %s
                    """.formatted(name, priv.toBase64(), TwoPeers.PORT, iface, tunnelAddr, localNet, peerName,
                    peerKey.toBase64(), peerOuter, TwoPeers.PORT, remoteNet, remote.indent(4).stripTrailing(), extra));
            return f;
        }

        Proc up(Namespace ns, Path file) {
            Proc p = ns.start(E2e.home().resolve("sitelink").toString(), "up", file.toString());
            gateways.add(p);
            return p;
        }

        JsonNode status(Namespace ns, String iface) {
            Command.Result r = ns.exec(E2e.home().resolve("sitelink").toString(), "status", "--json", iface);
            assertEquals(0, r.exitCode(), "sitelink status:\n" + r.describe());
            try {
                return JSON.readTree(r.stdout()).get("tunnels").get(0);
            } catch (IOException e) {
                throw new AssertionError("status --json is not JSON: " + r.stdout(), e);
            }
        }

        JsonNode awaitState(Namespace ns, String iface, String state, String reasonPart) {
            return awaitState(ns, iface, state, reasonPart, Duration.ofSeconds(30));
        }

        JsonNode awaitState(Namespace ns, String iface, String state, String reasonPart, Duration timeout) {
            JsonNode[] last = new JsonNode[1];
            E2e.await(timeout, iface + " to be " + state + " (" + reasonPart + ")", () -> {
                Command.Result r = ns.exec(E2e.home().resolve("sitelink").toString(), "status", "--json", iface);
                if (r.exitCode() != 0) {
                    return false; // the gateway is still starting
                }
                last[0] = status(ns, iface);
                return last[0].get("state").asText().equals(state) && last[0].get("reason").asText().contains(reasonPart);
            }, () -> String.valueOf(last[0]) + "\n" + gateways.stream().map(Proc::tail).toList());
            return last[0];
        }

        /** No log line of any gateway holds a private or preshared key, in base64 or hex. */
        void assertNoSecretsLogged() {
            for (Proc g : gateways) {
                for (String line : g.lines()) {
                    for (String s : secrets) {
                        assertFalse(line.contains(s), "a log line holds a secret key: " + g);
                    }
                }
            }
        }

        @Override
        public void close() {
            try {
                assertNoSecretsLogged();
            } finally {
                link.close();
            }
        }
    }

    @Test
    void happyPathIsEstablishedWithMatchingCountersMetricsAndSyslogEvents() throws Exception {
        Optional<Path> rsyslogd = E2e.onPath("rsyslogd").or(() -> Optional.of(Path.of("/usr/sbin/rsyslogd"))
                .filter(Files::isExecutable));
        E2e.require(rsyslogd.isPresent(), "rsyslogd (Debian package rsyslog)");
        try (Pair p = new Pair()) {
            // The collector: rsyslog in office B's namespace, UDP and TCP 514, every message to a file.
            Path received = p.nsB.logDir().resolve("syslog-received.log");
            Path conf = p.nsB.logDir().resolve("rsyslog.conf");
            Files.writeString(conf, """
                    module(load="imudp")
                    input(type="imudp" address="%s" port="514")
                    module(load="imtcp")
                    input(type="imtcp" address="%s" port="514")
                    template(name="raw" type="string" string="%%rawmsg%%\\n")
                    *.* action(type="omfile" file="%s" template="raw")
                    """.formatted(TwoPeers.B_OUTER, TwoPeers.B_OUTER, received));
            p.nsB.start(rsyslogd.get().toString(), "-n", "-f", conf.toString(), "-i",
                    p.nsB.logDir().resolve("rsyslog.pid").toString());

            Path a = p.siteFile(p.nsA, "office-a", p.ifA, p.privA, LAN_A, "198.19.1.0/24", "office-b",
                    X25519.publicKey(p.privB), TwoPeers.B_OUTER, "198.19.2.0/24", "",
                    "metrics: {listen: 127.0.0.1:9586}\nevents: {syslog: \"udp://" + TwoPeers.B_OUTER + ":514\"}");
            Path b = p.siteFile(p.nsB, "office-b", p.ifB, p.privB, LAN_B, "198.19.2.0/24", "office-a",
                    X25519.publicKey(p.privA), TwoPeers.A_OUTER, "198.19.1.0/24", "",
                    "events: {syslog: \"tcp://" + TwoPeers.B_OUTER + ":514\"}");
            Proc gwA = p.up(p.nsA, a);
            p.up(p.nsB, b);

            JsonNode before = p.awaitState(p.nsA, p.ifA, "ESTABLISHED", "");
            assertEquals("office-a", before.get("site").asText());
            assertEquals("office-b", before.get("peer").asText());
            assertEquals(TwoPeers.B_OUTER + ":" + TwoPeers.PORT, before.get("endpoint").asText());
            JsonNode beforeB = p.status(p.nsB, p.ifB);

            int n = 20;
            Traffic.Ping ping = Traffic.ping(p.nsA, LAN_B, n, 0.05);
            assertTrue(ping.lossless(), "pings through the tunnel: " + ping);
            JsonNode after = p.status(p.nsA, p.ifA);
            JsonNode afterB = p.status(p.nsB, p.ifB);
            assertEquals(n, after.get("tx_packets").asLong() - before.get("tx_packets").asLong(), "A sent one packet per ping");
            assertEquals(n, after.get("rx_packets").asLong() - before.get("rx_packets").asLong(), "A received one reply per ping");
            assertEquals(n, afterB.get("rx_packets").asLong() - beforeB.get("rx_packets").asLong(), "B received every ping");
            // 84-byte ICMP packets pad to 96 and gain 32 bytes of WireGuard header and tag.
            assertTrue(after.get("tx_bytes").asLong() - before.get("tx_bytes").asLong() >= 128L * n, "tx bytes " + after);
            assertTrue(after.get("key_age_seconds").asLong() < 180, "key age " + after);
            // None while the tunnel carries traffic. (Gateways started together may both initiate at once: the answer
            // to the replaced initiation is then one unknown_index drop before the tunnel is up.)
            assertEquals(before.get("drops"), after.get("drops"), "no drops on a healthy tunnel: " + after);

            // The Prometheus endpoint agrees with status.
            String text = p.nsA.execOk("curl", "-sf", "http://127.0.0.1:9586/metrics");
            Map<String, Double> m = PromText.parse(text);
            String labels = "{peer=\"office-b\",site=\"office-a\"}"; // the client sorts labels by name
            JsonNode now = p.status(p.nsA, p.ifA);
            assertEquals(now.get("tx_packets").asDouble(), m.get("sitelink_peer_tx_packets_total" + labels), text);
            assertEquals(now.get("rx_packets").asDouble(), m.get("sitelink_peer_rx_packets_total" + labels), text);
            assertEquals(1.0, m.get("sitelink_peer_up" + labels), text);
            assertTrue(m.get("sitelink_peer_last_handshake_seconds" + labels) > 1.7e9, text);

            // diagnose passes on both sides.
            for (var side : List.of(Map.entry(p.nsA, a), Map.entry(p.nsB, b))) {
                Command.Result d = side.getKey().exec(Duration.ofSeconds(30), E2e.home().resolve("sitelink").toString(),
                        "diagnose", side.getValue().toString());
                assertEquals(0, d.exitCode(), "diagnose:\n" + d.describe());
                assertTrue(d.stdout().contains("PASS  handshake with"), d.stdout());
                assertTrue(d.stdout().contains("PASS  key pair"), d.stdout());
            }

            // Up events from both sides reach the collector; stopping office A sends its down event.
            E2e.await(Duration.ofSeconds(10), "up events at the collector", () -> count(received, " up [") >= 2,
                    () -> read(received));
            gwA.close();
            E2e.await(Duration.ofSeconds(10), "office A's down event at the collector",
                    () -> read(received).contains("site=\"office-a\"") && count(received, " down [") >= 1,
                    () -> read(received));
            String log = read(received);
            assertTrue(log.contains("sitelink@32473"), log);
            assertTrue(log.contains("this gateway is stopping"), log);
        }
    }

    @Test
    void wrongPublicKeyAndPresharedKeyAndSubnetsAreNamed() throws Exception {
        try (Pair p = new Pair()) {
            Key wrong = X25519.publicKey(X25519.generatePrivate(new java.security.SecureRandom()));
            // Office A lists a wrong public key for office B.
            Path a = p.siteFile(p.nsA, "office-a", p.ifA, p.privA, LAN_A, "198.19.1.0/24", "office-b", wrong,
                    TwoPeers.B_OUTER, "198.19.2.0/24", "", "");
            Path b = p.siteFile(p.nsB, "office-b", p.ifB, p.privB, LAN_B, "198.19.2.0/24", "office-a",
                    X25519.publicKey(p.privA), TwoPeers.A_OUTER, "198.19.1.0/24", "", "");
            Proc gwA = p.up(p.nsA, a);
            Proc gwB = p.up(p.nsB, b);
            p.awaitState(p.nsB, p.ifB, "DOWN", "MAC1 mismatch");
            p.awaitState(p.nsA, p.ifA, "DOWN", "comes from a public key this site does not list");
            E2e.await(Duration.ofSeconds(10), "B's log names the MAC1 mismatch",
                    () -> gwB.output().contains("rejected: it is addressed to a different public key (MAC1 mismatch); "
                            + "check that office-a lists this site's public key"), gwB::tail);
            Command.Result d = p.nsB.exec(Duration.ofSeconds(30), E2e.home().resolve("sitelink").toString(), "diagnose",
                    b.toString());
            assertEquals(1, d.exitCode(), d.describe());
            assertTrue(d.stdout().contains("FAIL  handshake with office-a") && d.stdout().contains("MAC1 mismatch"),
                    d.stdout());
            gwA.close();
            gwB.close();

            // Different preshared keys: the responses do not authenticate.
            java.security.SecureRandom rnd = new java.security.SecureRandom();
            byte[] k1 = new byte[32], k2 = new byte[32];
            rnd.nextBytes(k1);
            rnd.nextBytes(k2);
            Key psk1 = Key.of(k1), psk2 = Key.of(k2);
            p.secrets.addAll(List.of(psk1.toBase64(), psk1.toHex(), psk2.toBase64(), psk2.toHex()));
            Path a2 = p.siteFile(p.nsA, "office-a", p.ifA, p.privA, LAN_A, "198.19.1.0/24", "office-b",
                    X25519.publicKey(p.privB), TwoPeers.B_OUTER, "198.19.2.0/24", "preshared_key: " + psk1.toBase64(), "");
            Path b2 = p.siteFile(p.nsB, "office-b", p.ifB, p.privB, LAN_B, "198.19.2.0/24", "office-a",
                    X25519.publicKey(p.privA), TwoPeers.A_OUTER, "198.19.1.0/24", "preshared_key: " + psk2.toBase64(), "");
            E2e.await(Duration.ofSeconds(10), "old interfaces gone", () -> !Files.exists(Uapi.socket(p.ifA))
                    && !Files.exists(Uapi.socket(p.ifB)));
            Proc gwA2 = p.up(p.nsA, a2);
            Proc gwB2 = p.up(p.nsB, b2);
            p.awaitState(p.nsA, p.ifA, "DOWN", "the preshared keys differ");
            p.awaitState(p.nsB, p.ifB, "DOWN", "the preshared keys differ");
            gwA2.close();
            gwB2.close();

            // Office A expects office B's LAN at 198.19.3.0/24, but B sends from 198.19.2.0/24.
            Path a3 = p.siteFile(p.nsA, "office-a", p.ifA, p.privA, LAN_A, "198.19.1.0/24", "office-b",
                    X25519.publicKey(p.privB), TwoPeers.B_OUTER, "198.19.3.0/24", "", "");
            E2e.await(Duration.ofSeconds(10), "old interfaces gone", () -> !Files.exists(Uapi.socket(p.ifA))
                    && !Files.exists(Uapi.socket(p.ifB)));
            Proc gwA3 = p.up(p.nsA, a3);
            p.up(p.nsB, b);
            p.awaitState(p.nsA, p.ifA, "ESTABLISHED", "");
            p.nsB.exec("ping", "-c", "3", "-i", "0.2", "-W", "1", LAN_A);
            JsonNode s = p.status(p.nsA, p.ifA);
            assertTrue(s.get("drops").path("source_not_allowed").asLong() >= 3, "drops by reason: " + s);
            E2e.await(Duration.ofSeconds(10), "A's log names the source outside remote_subnets",
                    () -> gwA3.output().contains("its source " + LAN_B + " is outside office-b's remote_subnets"),
                    gwA3::tail);
        }
    }

    /**
     * Office B's gateway stops (SIGTERM) while office A pings through the tunnel. A's session keys are still young,
     * yet status must say DOWN because nothing answers: A's data goes unanswered for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT
     * (15 s), its handshake initiations then go unanswered for Assessment.STALL (15 s). A's hook script receives the
     * up event and then the down event in its environment, and diagnose fails the handshake with a remedy.
     */
    @Test
    void peerStoppedIsDownWithHookEventsSnmpTrapsAndDiagnoseFails() throws Exception {
        Optional<Path> snmptrapd = E2e.onPath("snmptrapd").or(() -> Optional.of(Path.of("/usr/sbin/snmptrapd"))
                .filter(Files::isExecutable));
        E2e.require(snmptrapd.isPresent(), "snmptrapd (Debian package snmptrapd)");
        try (Pair p = new Pair()) {
            // Two Net-SNMP trap receivers in office B's namespace, one that accepts only SNMPv2c with the community,
            // one only SNMPv3 authPriv from user nms of office A's engine (the engine ID sitelink derives from the
            // site name, given as createUser -e the way an operator configures snmptrapd).
            Path authFile = p.nsA.logDir().resolve("snmp-auth");
            Path privFile = p.nsA.logDir().resolve("snmp-priv");
            for (Path f : List.of(authFile, privFile)) {
                Files.writeString(f, (f == authFile ? "auth" : "priv") + "-passphrase-e2e\n");
                Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            }
            String engine = "0x" + sitelink.config.SnmpTarget.ENGINE_ID_TEXT_PREFIX_HEX
                    + java.util.HexFormat.of().formatHex("office-a".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Path v2Log = trapReceiver(p.nsB, snmptrapd.get(), "v2c", 162, "authCommunity log monitoring");
            Path v3Log = trapReceiver(p.nsB, snmptrapd.get(), "v3", 1162, "createUser -e " + engine
                    + " nms SHA-256 auth-passphrase-e2e AES priv-passphrase-e2e\nauthUser log nms priv");
            String snmp = "  snmp:\n"
                    + "    - {target: \"" + TwoPeers.B_OUTER + "\", version: 2c, community: monitoring}\n"
                    + "    - {target: \"" + TwoPeers.B_OUTER + ":1162\", user: nms, auth_passphrase_file: " + authFile
                    + ", priv_passphrase_file: " + privFile + "}\n";
            Path hookLog = p.nsA.logDir().resolve("hook-events.log");
            Path hook = p.nsA.logDir().resolve("event-hook.sh");
            Files.writeString(hook, """
                    #!/bin/sh
                    { echo "--- $SITELINK_EVENT"; env | grep '^SITELINK_' | sort; } >> '%s'
                    """.formatted(hookLog));
            Files.setPosixFilePermissions(hook, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path a = p.siteFile(p.nsA, "office-a", p.ifA, p.privA, LAN_A, "198.19.1.0/24", "office-b",
                    X25519.publicKey(p.privB), TwoPeers.B_OUTER, "198.19.2.0/24", "", "events:\n  hook: " + hook
                            + "\n" + snmp);
            Path b = p.siteFile(p.nsB, "office-b", p.ifB, p.privB, LAN_B, "198.19.2.0/24", "office-a",
                    X25519.publicKey(p.privA), TwoPeers.A_OUTER, "198.19.1.0/24", "", "");
            p.up(p.nsA, a);
            Proc gwB = p.up(p.nsB, b);
            p.awaitState(p.nsA, p.ifA, "ESTABLISHED", "");

            Map<String, String> up = awaitHookEvent(hookLog, "up");
            assertEquals("up", up.get("SITELINK_EVENT"), up.toString());
            assertEquals("office-a", up.get("SITELINK_SITE"), up.toString());
            assertEquals(p.ifA, up.get("SITELINK_INTERFACE"), up.toString());
            assertEquals("office-b", up.get("SITELINK_PEER"), up.toString());
            assertEquals(X25519.publicKey(p.privB).toBase64(), up.get("SITELINK_PUBLIC_KEY"), up.toString());
            assertEquals(TwoPeers.B_OUTER + ":" + TwoPeers.PORT, up.get("SITELINK_ENDPOINT"), up.toString());
            assertEquals("ESTABLISHED", up.get("SITELINK_STATE"), up.toString());
            java.time.Instant upAt = java.time.Instant.parse(up.get("SITELINK_TIME"));
            assertTrue(Duration.between(upAt, java.time.Instant.now()).abs().getSeconds() < 60, up.toString());

            // Traffic keeps A sending; B stops and answers nothing any more.
            try (Proc ping = p.nsA.start("ping", "-i", "0.5", "-W", "1", LAN_B)) {
                gwB.signal("TERM");
                assertEquals(0, gwB.waitFor(Duration.ofSeconds(10)), "B stops on SIGTERM: " + gwB.tail());
                long stopped = System.nanoTime();
                JsonNode down = p.awaitState(p.nsA, p.ifA, "DOWN", "handshake attempts unanswered since",
                        Duration.ofSeconds(45));
                long seconds = (System.nanoTime() - stopped) / 1_000_000_000L;
                assertTrue(seconds >= 25, "DOWN only after 15 s of silence and 15 s of unanswered handshakes, not "
                        + seconds + " s: " + down);
                assertTrue(down.get("reason").asText().contains("check that office-b is running and that UDP to "
                        + TwoPeers.B_OUTER + ":" + TwoPeers.PORT + " is not blocked"), down.toString());
            }
            Map<String, String> downEvent = awaitHookEvent(hookLog, "down");
            assertEquals("DOWN", downEvent.get("SITELINK_STATE"), downEvent.toString());
            assertEquals("office-b", downEvent.get("SITELINK_PEER"), downEvent.toString());
            assertTrue(downEvent.get("SITELINK_REASON").contains("handshake attempts unanswered"), downEvent.toString());

            Command.Result d = p.nsA.exec(Duration.ofSeconds(30), E2e.home().resolve("sitelink").toString(), "diagnose",
                    a.toString());
            assertEquals(1, d.exitCode(), d.describe());
            assertTrue(d.stdout().contains("FAIL  handshake with office-b") && d.stdout().contains(
                    "check that office-b is running and that UDP to " + TwoPeers.B_OUTER + ":" + TwoPeers.PORT), d.stdout());

            // The traps: up, then down (by now: the hook had it within 10 s of status saying DOWN), over both versions.
            for (Path log : List.of(v2Log, v3Log)) {
                E2e.await(Duration.ofSeconds(10), "the down trap in " + log.getFileName(),
                        () -> read(log).contains("SITELINK-MIB::sitelinkTunnelDown"), () -> read(log));
                String t = read(log);
                assertTrue(t.indexOf("sitelinkTunnelUp") < t.indexOf("sitelinkTunnelDown"), t);
                assertTrue(t.contains("SITELINK-MIB::sitelinkSite.0 = STRING: office-a\t"), t);
                assertTrue(t.contains("SITELINK-MIB::sitelinkPeer.0 = STRING: office-b\t"), t);
                assertTrue(t.contains("SITELINK-MIB::sitelinkState.0 = INTEGER: down(4)"), t);
                assertTrue(t.contains("SITELINK-MIB::sitelinkReason.0 = STRING: handshake attempts unanswered since"), t);
                assertTrue(t.contains(log == v2Log ? "SNMP v2c, community monitoring" : "SNMP v3, user nms"), t);
                assertFalse(t.contains(log == v2Log ? "SNMP v3" : "SNMP v2c"), "each receiver accepts one kind: " + t);
            }

            // Office B comes back: the tunnel recovers and both receivers hear of it.
            p.up(p.nsB, b);
            p.awaitState(p.nsA, p.ifA, "ESTABLISHED", "");
            for (Path log : List.of(v2Log, v3Log)) {
                E2e.await(Duration.ofSeconds(10), "the second up trap in " + log.getFileName(),
                        () -> read(log).split("sitelinkTunnelUp", -1).length - 1 >= 2, () -> read(log));
            }
        }
    }

    /** A Net-SNMP snmptrapd in {@code ns} on UDP {@code port} of office B's outer address, logging to a file. */
    private static Path trapReceiver(Namespace ns, Path snmptrapd, String name, int port, String auth) throws IOException {
        Path dir = Files.createDirectories(ns.logDir().resolve("snmptrapd-" + name));
        Path conf = dir.resolve("snmptrapd.conf");
        Files.writeString(conf, auth + "\ndoNotRetainNotificationLogs yes\n");
        Path log = dir.resolve("traps.log");
        Files.writeString(log, "");
        Path base = E2e.home().resolve("src/test/resources/snmp/base-mibs");
        Path mib = E2e.home().resolve("mib");
        // -C: no system configuration; persistent state in the test's own directory, not /var/lib/snmp.
        ns.start("env", "SNMP_PERSISTENT_DIR=" + dir, "SNMPCONFPATH=" + dir, snmptrapd.toString(), "-f", "-C", "-c",
                conf.toString(), "-M", base + ":" + mib, "-m", "SITELINK-MIB", "-Lf", log.toString(),
                "-F", "%P\n%v\n", "udp:" + TwoPeers.B_OUTER + ":" + port);
        return log;
    }

    /**
     * Office A's file points at 198.18.0.99, where nobody answers (no host, so no ARP reply). A connects at once
     * (persistent_keepalive), shows CONNECTING, and DOWN once its initiations have been unanswered for 15 s, naming
     * the endpoint; diagnose fails the handshake check with what to check.
     */
    @Test
    void unreachableEndpointIsConnectingThenDownNamingTheEndpoint() throws Exception {
        String nobody = "198.18.0.99";
        try (Pair p = new Pair()) {
            Path a = p.siteFile(p.nsA, "office-a", p.ifA, p.privA, LAN_A, "198.19.1.0/24", "office-b",
                    X25519.publicKey(p.privB), nobody, "198.19.2.0/24", "", "");
            p.up(p.nsA, a);
            JsonNode connecting = p.awaitState(p.nsA, p.ifA, "CONNECTING", "waiting for the answer");
            assertTrue(connecting.get("handshake_attempts").asLong() >= 1, connecting.toString());
            long seen = System.nanoTime();
            JsonNode down = p.awaitState(p.nsA, p.ifA, "DOWN", "check that office-b is running and that UDP to "
                    + nobody + ":" + TwoPeers.PORT + " is not blocked", Duration.ofSeconds(30));
            long seconds = (System.nanoTime() - seen) / 1_000_000_000L;
            assertTrue(seconds >= 10, "CONNECTING lasts about 15 s, not " + seconds + " s: " + down);
            assertTrue(down.get("reason").asText().startsWith("handshake attempts unanswered since"), down.toString());
            assertTrue(down.get("handshake_attempts").asLong() >= 3, "an initiation every 5 s: " + down);

            Command.Result d = p.nsA.exec(Duration.ofSeconds(30), E2e.home().resolve("sitelink").toString(), "diagnose",
                    a.toString());
            assertEquals(1, d.exitCode(), d.describe());
            assertTrue(d.stdout().contains("FAIL  handshake with office-b")
                    && d.stdout().contains("UDP to " + nobody + ":" + TwoPeers.PORT + " is not blocked"), d.stdout());
        }
    }

    /**
     * Waits for the hook's EVENT record to be whole (the hook writes its "--- EVENT" line and its variables in two
     * writes: a read between them saw the header alone) and returns its variables.
     */
    private static Map<String, String> awaitHookEvent(Path hookLog, String event) {
        E2e.await(Duration.ofSeconds(10), "the hook's " + event + " event",
                () -> read(hookLog).contains("--- " + event + "\n") && hookEvent(read(hookLog), event).containsKey("SITELINK_TIME"),
                () -> read(hookLog));
        return hookEvent(read(hookLog), event);
    }

    /** The SITELINK_* variables of the hook's last EVENT record (written as "--- EVENT" then sorted env lines). */
    private static Map<String, String> hookEvent(String log, String event) {
        int at = log.lastIndexOf("--- " + event + "\n");
        assertTrue(at >= 0, log);
        Map<String, String> vars = new HashMap<>();
        for (String line : log.substring(at).split("\n")) {
            if (line.startsWith("--- ") && !vars.isEmpty()) {
                break;
            }
            int eq = line.indexOf('=');
            if (eq > 0) {
                vars.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return vars;
    }

    private static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static int count(Path f, String s) {
        String t = read(f);
        int n = 0;
        for (int i = t.indexOf(s); i >= 0; i = t.indexOf(s, i + 1)) {
            n++;
        }
        return n;
    }

    /** A strict parser of the Prometheus text format 0.0.4: every line a comment or NAME{LABELS} VALUE. */
    static final class PromText {
        private static final java.util.regex.Pattern SAMPLE = java.util.regex.Pattern.compile(
                "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*\\})? "
                        + "([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|\\+Inf|-Inf))(?: [0-9]+)?");

        static Map<String, Double> parse(String text) {
            Map<String, Double> m = new HashMap<>();
            for (String line : text.split("\n")) {
                if (line.isEmpty() || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                    continue;
                }
                java.util.regex.Matcher x = SAMPLE.matcher(line);
                if (!x.matches()) {
                    throw new AssertionError("not Prometheus text format: " + line);
                }
                m.put(x.group(1) + (x.group(2) == null ? "" : x.group(2).replace(",}", "}")), Double.parseDouble(x.group(3)));
            }
            return m;
        }
    }

    /**
     * Issue 18. An idle tunnel whose policy allows nothing diagnose could send into it: diagnose asks the gateway for
     * the handshake over its socket, so it completes and neither side's policy drops a thing. Run from a namespace
     * other than the gateway's, diagnose says so and names it, instead of failing routes and forwarding. Then office B
     * does not list office A's key (and never dials itself): A's handshakes go unanswered although UDP reaches B, and
     * the key mismatch is named first among the causes.
     */
    @Test
    void diagnoseAsksTheGatewayForTheHandshakeAndSaysWhatItCannotSee() throws Exception {
        try (Pair p = new Pair(); Namespace elsewhere = E2e.namespace("c")) {
            String policy = "policy:\n  - allow to tcp 198.19.2.0/24 port 443";
            Path a = idle(p.siteFile(p.nsA, "office-a", p.ifA, p.privA, LAN_A, "198.19.1.0/24", "office-b",
                    X25519.publicKey(p.privB), TwoPeers.B_OUTER, "198.19.2.0/24", policy, ""));
            Path b = idle(p.siteFile(p.nsB, "office-b", p.ifB, p.privB, LAN_B, "198.19.2.0/24", "office-a",
                    X25519.publicKey(p.privA), TwoPeers.A_OUTER, "198.19.1.0/24", "", ""));
            p.up(p.nsA, a);
            p.up(p.nsB, b);
            p.awaitState(p.nsA, p.ifA, "IDLE", "");
            String sitelink = E2e.home().resolve("sitelink").toString();
            Command.Result d = p.nsA.exec(Duration.ofSeconds(30), sitelink, "diagnose", a.toString());
            assertTrue(d.stdout().contains("PASS  handshake with office-b"), d.describe());
            for (String iface : List.of(p.ifA, p.ifB)) {
                assertEquals(0L, Uapi.request(iface, "get_counters=1\n\n").numbers().get("drop_filtered"),
                        iface + ": diagnose made no packet a policy dropped");
            }

            Command.Result outside = elsewhere.exec(Duration.ofSeconds(30), sitelink, "diagnose", a.toString());
            assertTrue(outside.stdout().contains("FAIL  network namespace") && outside.stdout().contains("namespace "
                    + p.nsA.name()) && outside.stdout().contains("sudo ip netns exec " + p.nsA.name()), outside.describe());
            assertFalse(outside.stdout().contains("restart the gateway"), "no false failures: " + outside.describe());

            for (Proc g : p.gateways) {
                g.close();
            }
            E2e.await(Duration.ofSeconds(10), "old interfaces gone", () -> !Files.exists(Uapi.socket(p.ifA))
                    && !Files.exists(Uapi.socket(p.ifB)));
            Key stranger = X25519.publicKey(X25519.generatePrivate(new java.security.SecureRandom()));
            Path b2 = idle(p.siteFile(p.nsB, "office-b", p.ifB, p.privB, LAN_B, "198.19.2.0/24", "office-a", stranger,
                    TwoPeers.A_OUTER, "198.19.1.0/24", "", ""));
            p.up(p.nsA, a);
            p.up(p.nsB, b2);
            p.awaitState(p.nsA, p.ifA, "IDLE", "");
            Command.Result silent = p.nsA.exec(Duration.ofSeconds(30), sitelink, "diagnose", a.toString());
            String out = silent.stdout();
            int key = out.indexOf("the public key for office-b in this file does not match office-b's private key, or "
                    + "office-b does not have this site's public key " + X25519.publicKey(p.privA).toBase64());
            assertTrue(out.contains("FAIL  handshake with office-b") && key > 0
                    && key < out.indexOf("office-b is not running"), silent.describe());
        }
    }

    /** A site file without persistent_keepalive: nothing connects until something asks. */
    private static Path idle(Path siteFile) throws IOException {
        Files.writeString(siteFile, Files.readString(siteFile).replace("persistent_keepalive: 1", "persistent_keepalive: 0"));
        return siteFile;
    }
}
