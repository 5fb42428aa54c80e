package sitelink.uapi;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import sitelink.crypto.Key;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;
import sitelink.ipsec.IpsecSiteStatus;
import sitelink.route.Prefix;

/**
 * sitelink's own UAPI request {@code get_status=1}: the answer is KEY=VALUE lines in the style of {@code get=1}.
 * Device lines first ({@code interface}, {@code site}, {@code public_key}, {@code listen_port}, {@code time_ms},
 * {@code counter.NAME}), then per peer a {@code peer=HEX} line followed by its fields and {@code drop.REASON} lines,
 * then per IKEv2 site an {@code ike_site=NAME} line followed by its fields, each CHILD SA starting at {@code child_in}.
 * Times are Unix milliseconds; absent values are left out. Format and parser live together so they cannot drift.
 */
public final class StatusLines {
    private StatusLines() {
    }

    public static String format(DeviceStatus s) {
        StringBuilder b = new StringBuilder(512 + 768 * s.peers().size());
        line(b, "interface", s.interfaceName());
        line(b, "site", s.site());
        s.publicKey().ifPresent(k -> line(b, "public_key", k.toHex()));
        line(b, "listen_port", Integer.toString(s.listenPort()));
        line(b, "time_ms", Long.toString(s.at().toEpochMilli()));
        s.counters().forEach((k, v) -> line(b, "counter." + k, Long.toString(v)));
        for (PeerStatus p : s.peers()) {
            line(b, "peer", p.publicKey().toHex());
            line(b, "name", p.name());
            p.endpoint().ifPresent(e -> line(b, "endpoint", UapiProtocol.formatEndpoint(e)));
            time(b, "last_handshake_ms", p.lastHandshake());
            line(b, "has_session", Boolean.toString(p.hasSession()));
            line(b, "session_initiator", Boolean.toString(p.sessionInitiator()));
            line(b, "handshake_attempts", Long.toString(p.handshakeAttempts()));
            time(b, "last_attempt_ms", p.lastAttempt());
            time(b, "first_unanswered_attempt_ms", p.firstUnansweredAttempt());
            line(b, "unconfirmed_responses", Long.toString(p.unconfirmedResponses()));
            time(b, "first_unconfirmed_response_ms", p.firstUnconfirmedResponse());
            time(b, "last_gave_up_ms", p.lastGaveUp());
            p.lastFailure().ifPresent(f -> line(b, "last_failure", f));
            time(b, "last_failure_ms", p.lastFailureAt());
            p.lastFailureFrom().ifPresent(e -> line(b, "last_failure_from", UapiProtocol.formatEndpoint(e)));
            line(b, "rx_bytes", Long.toString(p.rxBytes()));
            line(b, "tx_bytes", Long.toString(p.txBytes()));
            line(b, "rx_packets", Long.toString(p.rxPackets()));
            line(b, "tx_packets", Long.toString(p.txPackets()));
            line(b, "persistent_keepalive_interval", Integer.toString(p.persistentKeepalive()));
            line(b, "roaming_events", Long.toString(p.roamingEvents()));
            p.drops().forEach((k, v) -> line(b, "drop." + k, Long.toString(v)));
            p.allowedIps().forEach(x -> line(b, "allowed_ip", x.toString()));
            p.postQuantum().ifPresent(x -> line(b, "post_quantum", x));
            p.postQuantumHold().ifPresent(x -> line(b, "post_quantum_hold", x));
        }
        for (IpsecSiteStatus i : s.ikeSites()) {
            line(b, "ike_site", i.name());
            line(b, "state", i.state());
            i.peer().ifPresent(e -> line(b, "endpoint", UapiProtocol.formatEndpoint(e)));
            i.ikeProposal().ifPresent(x -> line(b, "ike_proposal", x));
            i.keyExchange().ifPresent(x -> line(b, "key_exchange", x));
            line(b, "spi_i", Long.toHexString(i.spiI()));
            line(b, "spi_r", Long.toHexString(i.spiR()));
            line(b, "nat_t", Boolean.toString(i.natTraversal()));
            time(b, "established_ms", i.establishedAt());
            i.lastFailure().ifPresent(f -> line(b, "last_failure", f));
            time(b, "last_failure_ms", i.lastFailureAt());
            time(b, "next_attempt_ms", i.nextAttempt());
            time(b, "certificate_expires_ms", i.certificateExpires());
            time(b, "peer_certificate_expires_ms", i.peerCertificateExpires());
            time(b, "psk_changed_ms", i.pskChanged());
            i.awaitedId().ifPresent(x -> line(b, "awaited_id", x));
            line(b, "rx_bytes", Long.toString(i.rxBytes()));
            line(b, "tx_bytes", Long.toString(i.txBytes()));
            line(b, "rx_packets", Long.toString(i.rxPackets()));
            line(b, "tx_packets", Long.toString(i.txPackets()));
            for (IpsecSiteStatus.Child c : i.children()) {
                line(b, "child_in", Integer.toHexString(c.inboundSpi()));
                line(b, "child_out", Integer.toHexString(c.outboundSpi()));
                line(b, "child_cipher", c.cipher());
                line(b, "child_local_ts", c.localSelectors());
                line(b, "child_remote_ts", c.remoteSelectors());
                line(b, "child_installed_ms", Long.toString(c.installedAt().toEpochMilli()));
                line(b, "child_outbound", Boolean.toString(c.outbound()));
            }
        }
        return b.toString();
    }

    /** Parses the answer's lines (without {@code errno}); unknown keys are skipped, so newer devices stay readable. */
    public static DeviceStatus parse(List<String> lines) {
        String iface = "";
        String site = "";
        Optional<Key> pub = Optional.empty();
        int port = 0;
        Instant at = Instant.EPOCH;
        SortedMap<String, Long> counters = new TreeMap<>();
        List<PeerStatus> peers = new ArrayList<>();
        PeerFields p = null;
        List<IpsecSiteStatus> ike = new ArrayList<>();
        IkeFields i = null;
        for (String line : lines) {
            int eq = line.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String k = line.substring(0, eq);
            String v = line.substring(eq + 1);
            if (k.equals("ike_site")) {
                if (i != null) {
                    ike.add(i.build());
                }
                i = new IkeFields(v);
                continue;
            }
            if (i != null) {
                i.set(k, v);
                continue;
            }
            if (k.equals("peer")) {
                if (p != null) {
                    peers.add(p.build());
                }
                p = new PeerFields(Key.fromHex(v));
                continue;
            }
            if (p == null) {
                switch (k) {
                    case "interface" -> iface = v;
                    case "site" -> site = v;
                    case "public_key" -> pub = Optional.of(Key.fromHex(v));
                    case "listen_port" -> port = Integer.parseInt(v);
                    case "time_ms" -> at = Instant.ofEpochMilli(Long.parseLong(v));
                    default -> {
                        if (k.startsWith("counter.")) {
                            counters.put(k.substring(8), Long.parseLong(v));
                        }
                    }
                }
            } else {
                p.set(k, v);
            }
        }
        if (p != null) {
            peers.add(p.build());
        }
        if (i != null) {
            ike.add(i.build());
        }
        return new DeviceStatus(iface, site, pub, port, at, counters, peers, ike);
    }

    /** An IKEv2 site's fields as the answer lists them. */
    private static final class IkeFields {
        private final String name;
        private String state = "", proposal, failure, keyExchange;
        private InetSocketAddress endpoint;
        private long spiI, spiR, rxBytes, txBytes, rxPackets, txPackets;
        private boolean natT;
        private Instant established, failureAt, nextAttempt, certificateExpires, peerCertificateExpires, pskChanged;
        private String awaitedId;
        private final List<IpsecSiteStatus.Child> children = new ArrayList<>();
        private int childIn, childOut;
        private String cipher = "", localTs = "", remoteTs = "";
        private Instant installed = Instant.EPOCH;
        private boolean inChild;

        IkeFields(String name) {
            this.name = name;
        }

        void set(String k, String v) {
            switch (k) {
                case "state" -> state = v;
                case "endpoint" -> endpoint = endpoint(v);
                case "ike_proposal" -> proposal = v;
                case "key_exchange" -> keyExchange = v;
                case "spi_i" -> spiI = Long.parseUnsignedLong(v, 16);
                case "spi_r" -> spiR = Long.parseUnsignedLong(v, 16);
                case "nat_t" -> natT = Boolean.parseBoolean(v);
                case "established_ms" -> established = ms(v);
                case "last_failure" -> failure = v;
                case "last_failure_ms" -> failureAt = ms(v);
                case "next_attempt_ms" -> nextAttempt = ms(v);
                case "certificate_expires_ms" -> certificateExpires = ms(v);
                case "peer_certificate_expires_ms" -> peerCertificateExpires = ms(v);
                case "psk_changed_ms" -> pskChanged = ms(v);
                case "awaited_id" -> awaitedId = v;
                case "rx_bytes" -> rxBytes = Long.parseLong(v);
                case "tx_bytes" -> txBytes = Long.parseLong(v);
                case "rx_packets" -> rxPackets = Long.parseLong(v);
                case "tx_packets" -> txPackets = Long.parseLong(v);
                case "child_in" -> {
                    inChild = true;
                    childIn = Integer.parseUnsignedInt(v, 16);
                }
                case "child_out" -> childOut = Integer.parseUnsignedInt(v, 16);
                case "child_cipher" -> cipher = v;
                case "child_local_ts" -> localTs = v;
                case "child_remote_ts" -> remoteTs = v;
                case "child_installed_ms" -> installed = ms(v);
                case "child_outbound" -> { // the last field of a CHILD SA
                    if (inChild) {
                        children.add(new IpsecSiteStatus.Child(childIn, childOut, cipher, localTs, remoteTs, installed,
                                Boolean.parseBoolean(v)));
                    }
                    inChild = false;
                }
                default -> {
                }
            }
        }

        IpsecSiteStatus build() {
            return new IpsecSiteStatus(name, sitelink.ipsec.IpsecSite.idOf(name), state, Optional.ofNullable(endpoint),
                    Optional.ofNullable(proposal), spiI, spiR, natT, Optional.ofNullable(established), children,
                    Optional.ofNullable(failure), Optional.ofNullable(failureAt), Optional.ofNullable(nextAttempt), rxBytes,
                    txBytes, rxPackets, txPackets, Optional.ofNullable(keyExchange), Optional.ofNullable(certificateExpires),
                    Optional.ofNullable(peerCertificateExpires), Optional.ofNullable(pskChanged), Optional.ofNullable(awaitedId));
        }
    }

    /** A peer's fields as the answer lists them. */
    private static final class PeerFields extends PeerStatus.Builder {
        PeerFields(Key key) {
            super(key);
        }

        void set(String k, String v) {
            switch (k) {
                case "name" -> name = v;
                case "endpoint" -> endpoint = Optional.of(endpoint(v));
                case "last_handshake_ms" -> lastHandshake = Optional.of(ms(v));
                case "has_session" -> hasSession = Boolean.parseBoolean(v);
                case "session_initiator" -> sessionInitiator = Boolean.parseBoolean(v);
                case "handshake_attempts" -> handshakeAttempts = Long.parseLong(v);
                case "last_attempt_ms" -> lastAttempt = Optional.of(ms(v));
                case "first_unanswered_attempt_ms" -> firstUnansweredAttempt = Optional.of(ms(v));
                case "unconfirmed_responses" -> unconfirmedResponses = Long.parseLong(v);
                case "first_unconfirmed_response_ms" -> firstUnconfirmedResponse = Optional.of(ms(v));
                case "last_gave_up_ms" -> lastGaveUp = Optional.of(ms(v));
                case "last_failure" -> lastFailure = Optional.of(v);
                case "last_failure_ms" -> lastFailureAt = Optional.of(ms(v));
                case "last_failure_from" -> lastFailureFrom = Optional.of(endpoint(v));
                case "rx_bytes" -> rxBytes = Long.parseLong(v);
                case "tx_bytes" -> txBytes = Long.parseLong(v);
                case "rx_packets" -> rxPackets = Long.parseLong(v);
                case "tx_packets" -> txPackets = Long.parseLong(v);
                case "persistent_keepalive_interval" -> persistentKeepalive = Integer.parseInt(v);
                case "roaming_events" -> roamingEvents = Long.parseLong(v);
                case "allowed_ip" -> allowedIps.add(Prefix.parse(v));
                case "post_quantum" -> postQuantum = Optional.of(v);
                case "post_quantum_hold" -> postQuantumHold = Optional.of(v);
                default -> {
                    if (k.startsWith("drop.")) {
                        drops.put(k.substring(5), Long.parseLong(v));
                    }
                }
            }
        }
    }

    private static Instant ms(String v) {
        return Instant.ofEpochMilli(Long.parseLong(v));
    }

    /** "198.18.0.2:51820" or "[2001:db8::1]:51820": literal addresses only, never a DNS lookup. */
    static InetSocketAddress endpoint(String v) {
        int colon = v.lastIndexOf(':');
        String host = v.substring(0, colon);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new InetSocketAddress(InetAddress.ofLiteral(host), Integer.parseInt(v.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an endpoint: " + v, e);
        }
    }

    private static void time(StringBuilder b, String k, Optional<Instant> t) {
        t.ifPresent(x -> line(b, k, Long.toString(x.toEpochMilli())));
    }

    private static void line(StringBuilder b, String key, String value) {
        b.append(key).append('=').append(value).append('\n');
    }
}
