package sitelink.uapi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.regex.Pattern;
import sitelink.crypto.Key;
import sitelink.device.DeviceControl;
import sitelink.device.DeviceException;
import sitelink.device.DeviceSnapshot;
import sitelink.device.DeviceUpdate;
import sitelink.device.PeerSnapshot;
import sitelink.device.PeerUpdate;
import sitelink.route.HostPort;
import sitelink.route.Prefix;

/**
 * The WireGuard cross-platform userspace API (wireguard.com/xplatform), answered the way wireguard-go answers it,
 * so the unchanged {@code wg} and {@code wg-quick} manage sitelink.
 *
 * <p>One difference on purpose: wireguard-go applies a {@code set} line by line and stops at the first bad line,
 * leaving a half-applied change. Here the whole request is parsed into one {@link DeviceUpdate} first; a bad line
 * answers {@code errno=-22} and nothing changes.
 *
 * <p>Keys never reach a message or a log line: errors name the key, not the value.
 */
public final class UapiProtocol {
    /** Negative errno values wireguard-go answers with (ipc/uapi_unix.go). */
    public static final int EINVAL = -22, EPROTO = -71, EIO = -5, UNKNOWN = -55;
    private static final int MAX_LINE = 1 << 16;
    private static final System.Logger LOG = System.getLogger(UapiProtocol.class.getName());
    /** Compiled once: String.replaceAll and replaceFirst compile their pattern on every call. */
    private static final Pattern NOT_PRINTABLE = Pattern.compile("[^\\x21-\\x7e]");
    private static final Pattern LEADING_ZEROS = Pattern.compile("^0+(?=.)");

    private final DeviceControl device;

    public UapiProtocol(DeviceControl device) {
        this.device = device;
    }

    /** A {@code set} request, parsed: either the one update to apply or why it was refused. */
    public sealed interface Parsed {
        record Update(DeviceUpdate update) implements Parsed {
        }

        /** @param errno negative errno to answer; @param reason names the offending key, never a key's value */
        record Rejected(int errno, String reason) implements Parsed {
        }
    }

    /**
     * Serves requests from one connection until the client closes it or sends an operation we do not know
     * (wireguard-go also hangs up then). Several requests per connection are fine.
     */
    public void serve(InputStream in, OutputStream out) throws IOException {
        LineReader lines = new LineReader(in);
        while (true) {
            String op = lines.next(false);
            if (op == null) {
                return;
            }
            String answer;
            switch (op) {
                case "get=1", "get_counters=1", "get_status=1" -> {
                    String blank = lines.next(false);
                    if (blank == null) {
                        return;
                    }
                    if (!blank.isEmpty()) {
                        LOG.log(System.Logger.Level.WARNING, "UAPI: trailing data after " + op);
                        out.write(status(EINVAL));
                        out.flush();
                        return;
                    }
                    answer = switch (op) {
                        case "get=1" -> get();
                        case "get_counters=1" -> counters();
                        default -> statusAnswer();
                    };
                }
                case "set=1" -> answer = set(readSetLines(lines));
                case "initiate_handshake=1" -> answer = initiateHandshake(readSetLines(lines));
                default -> {
                    LOG.log(System.Logger.Level.WARNING, "UAPI: unknown operation, closing the connection");
                    return;
                }
            }
            out.write(answer.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    private String get() {
        try {
            return formatGet(device.snapshot()) + "errno=0\n\n";
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "UAPI: get failed: " + e.getClass().getSimpleName());
            return "errno=" + UNKNOWN + "\n\n";
        }
    }

    private String statusAnswer() {
        try {
            return StatusLines.format(device.status()) + "errno=0\n\n";
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "UAPI: get_status failed: " + e.getClass().getSimpleName());
            return "errno=" + UNKNOWN + "\n\n";
        }
    }

    private String counters() {
        try {
            return formatCounters(device.counters()) + "errno=0\n\n";
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "UAPI: get_counters failed: " + e.getClass().getSimpleName());
            return "errno=" + UNKNOWN + "\n\n";
        }
    }

    private String set(List<String> body) {
        return switch (parseSet(body)) {
            case Parsed.Rejected r -> {
                LOG.log(System.Logger.Level.WARNING, "UAPI: set refused: " + r.reason());
                yield "errno=" + r.errno() + "\n\n";
            }
            case Parsed.Update u -> {
                try {
                    device.apply(u.update());
                    yield "errno=0\n\n";
                } catch (DeviceException e) {
                    LOG.log(System.Logger.Level.WARNING, "UAPI: set failed: " + e.getMessage());
                    yield "errno=" + (e.errno() == 0 ? UNKNOWN : -Math.abs(e.errno())) + "\n\n";
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "UAPI: set failed: " + e.getClass().getSimpleName());
                    yield "errno=" + UNKNOWN + "\n\n";
                }
            }
        };
    }

    /**
     * sitelink's own {@code initiate_handshake=1} with one {@code public_key=HEX} line: a handshake with that peer
     * now, without a packet for it ({@link DeviceControl#initiateHandshake}).
     */
    private String initiateHandshake(List<String> body) {
        if (body.size() != 1 || !body.getFirst().startsWith("public_key=")) {
            LOG.log(System.Logger.Level.WARNING, "UAPI: initiate_handshake takes exactly one public_key line");
            return "errno=" + EINVAL + "\n\n";
        }
        try {
            device.initiateHandshake(Key.fromHex(body.getFirst().substring("public_key=".length())));
            return "errno=0\n\n";
        } catch (IllegalArgumentException e) {
            return "errno=" + EINVAL + "\n\n";
        } catch (DeviceException e) {
            return "errno=" + (e.errno() == 0 ? UNKNOWN : -Math.abs(e.errno())) + "\n\n";
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "UAPI: initiate_handshake failed: " + e.getClass().getSimpleName());
            return "errno=" + UNKNOWN + "\n\n";
        }
    }

    /** The lines of a set body up to the blank line; like wireguard-go, end of stream also ends the body. */
    private static List<String> readSetLines(LineReader lines) throws IOException {
        List<String> body = new ArrayList<>();
        String line;
        while ((line = lines.next(true)) != null && !line.isEmpty()) {
            body.add(line);
        }
        return body;
    }

    private static byte[] status(int errno) {
        return ("errno=" + errno + "\n\n").getBytes(StandardCharsets.US_ASCII);
    }

    // ---------------------------------------------------------------- get

    /**
     * The body of a {@code get} answer (without the final {@code errno=0}), line for line what wireguard-go prints:
     * device keys only when set, then per peer public_key, preshared_key (zeros when none), protocol_version,
     * endpoint (only when known), handshake time, byte counters, keepalive and one allowed_ip line per prefix.
     */
    public static String formatGet(DeviceSnapshot s) {
        StringBuilder b = new StringBuilder(256 + 512 * s.peers().size());
        s.privateKey().filter(k -> !k.isZero()).ifPresent(k -> line(b, "private_key", k.toHex()));
        if (s.listenPort() != 0) {
            line(b, "listen_port", Integer.toString(s.listenPort()));
        }
        if (s.fwmark() != 0) {
            line(b, "fwmark", Integer.toUnsignedString(s.fwmark()));
        }
        for (PeerSnapshot p : s.peers()) {
            line(b, "public_key", p.publicKey().toHex());
            line(b, "preshared_key", p.presharedKey().orElseGet(Key::zero).toHex());
            line(b, "protocol_version", "1");
            p.endpoint().ifPresent(e -> line(b, "endpoint", formatEndpoint(e)));
            Instant hs = p.lastHandshake().orElse(Instant.EPOCH);
            line(b, "last_handshake_time_sec", Long.toString(hs.getEpochSecond()));
            line(b, "last_handshake_time_nsec", Integer.toString(hs.getNano()));
            line(b, "tx_bytes", Long.toUnsignedString(p.txBytes()));
            line(b, "rx_bytes", Long.toUnsignedString(p.rxBytes()));
            line(b, "persistent_keepalive_interval", Integer.toString(p.persistentKeepalive()));
            for (Prefix prefix : p.allowedIps()) {
                line(b, "allowed_ip", formatAddress(prefix.address()) + "/" + prefix.length());
            }
        }
        return b.toString();
    }

    /** sitelink's own {@code get_counters}: one NAME=VALUE line per counter. */
    public static String formatCounters(SortedMap<String, Long> counters) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Long> e : counters.entrySet()) {
            line(b, e.getKey(), Long.toString(e.getValue()));
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String key, String value) {
        b.append(key).append('=').append(value).append('\n');
    }

    /** "192.0.2.1:51820" or "[2001:db8::1]:51820", as Go's netip.AddrPort prints them. */
    public static String formatEndpoint(InetSocketAddress e) {
        InetAddress a = e.getAddress();
        String host = formatAddress(a);
        return (a instanceof Inet6Address ? "[" + host + "]" : host) + ":" + e.getPort();
    }

    /** IPv4 dotted quad, or IPv6 in RFC 5952 form; see {@link Prefix#formatAddress}. */
    static String formatAddress(InetAddress a) {
        return Prefix.formatAddress(a);
    }

    // ---------------------------------------------------------------- set

    /**
     * Parses the lines of a {@code set=1} body (without the operation line and the blank line) into one update.
     * Keys before the first {@code public_key} configure the device, later ones the current peer, exactly as in
     * wireguard-go; every value is checked the way wireguard-go checks it.
     */
    public static Parsed parseSet(List<String> lines) {
        Optional<Key> privateKey = Optional.empty();
        OptionalInt listenPort = OptionalInt.empty();
        OptionalInt fwmark = OptionalInt.empty();
        boolean replacePeers = false;
        List<PeerUpdate> peers = new ArrayList<>();
        PeerBuilder peer = null;
        int n = 0;
        for (String line : lines) {
            n++;
            int eq = line.indexOf('=');
            if (eq < 0) {
                return new Parsed.Rejected(EPROTO, "line " + n + " has no '='");
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            try {
                if (key.equals("public_key")) {
                    if (peer != null) {
                        peers.add(peer.build());
                    }
                    peer = new PeerBuilder(Key.fromHex(value));
                    continue;
                }
                if (peer == null) {
                    switch (key) {
                        case "private_key" -> privateKey = Optional.of(Key.fromHex(value));
                        case "listen_port" -> listenPort = OptionalInt.of((int) parseUnsigned(value, 0xffffL));
                        case "fwmark" -> fwmark = OptionalInt.of((int) parseUnsigned(value, 0xffffffffL));
                        case "replace_peers" -> replacePeers = parseTrue(value);
                        default -> {
                            return new Parsed.Rejected(EINVAL, "line " + n + ": unknown device key '" + printable(key) + "'");
                        }
                    }
                } else {
                    switch (key) {
                        case "update_only" -> peer.updateOnly = parseTrue(value);
                        case "remove" -> peer.remove = parseTrue(value);
                        case "preshared_key" -> peer.presharedKey = Optional.of(Key.fromHex(value));
                        case "endpoint" -> peer.endpoint = Optional.of(parseEndpoint(value));
                        case "persistent_keepalive_interval" ->
                                peer.keepalive = OptionalInt.of((int) parseUnsigned(value, 0xffffL));
                        case "replace_allowed_ips" -> {
                            // Lines apply in order: allowed_ip lines before this one are replaced too.
                            peer.replaceAllowedIps = parseTrue(value);
                            peer.allowedIps.clear();
                        }
                        case "allowed_ip" -> peer.allowedIps.add(parseAllowedIp(value));
                        case "protocol_version" -> {
                            if (!value.equals("1")) {
                                throw new IllegalArgumentException("only protocol version 1 exists");
                            }
                        }
                        default -> {
                            return new Parsed.Rejected(EINVAL, "line " + n + ": unknown peer key '" + printable(key) + "'");
                        }
                    }
                }
            } catch (IllegalArgumentException e) {
                // Never echo the value: it may be a private or preshared key.
                return new Parsed.Rejected(EINVAL, "line " + n + ": invalid value for " + printable(key));
            }
        }
        if (peer != null) {
            peers.add(peer.build());
        }
        return new Parsed.Update(new DeviceUpdate(privateKey, listenPort, fwmark, replacePeers, peers));
    }

    private static final class PeerBuilder {
        final Key publicKey;
        boolean remove, updateOnly, replaceAllowedIps;
        Optional<Key> presharedKey = Optional.empty();
        Optional<InetSocketAddress> endpoint = Optional.empty();
        OptionalInt keepalive = OptionalInt.empty();
        final List<Prefix> allowedIps = new ArrayList<>();

        PeerBuilder(Key publicKey) {
            this.publicKey = publicKey;
        }

        PeerUpdate build() {
            return new PeerUpdate(publicKey, remove, updateOnly, presharedKey, endpoint, keepalive,
                    replaceAllowedIps, allowedIps);
        }
    }

    private static String printable(String key) {
        String k = key.length() > 40 ? key.substring(0, 40) + "..." : key;
        return NOT_PRINTABLE.matcher(k).replaceAll("?");
    }

    private static boolean parseTrue(String value) {
        if (!value.equals("true")) {
            throw new IllegalArgumentException("only 'true' is allowed");
        }
        return true;
    }

    /** Go's strconv.ParseUint(value, 10, bits): decimal digits only, no sign, within range. */
    private static long parseUnsigned(String value, long max) {
        if (value.isEmpty() || value.length() > 20 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("not an unsigned decimal");
        }
        String digits = LEADING_ZEROS.matcher(value).replaceFirst("");
        if (digits.length() > 10 || Long.parseLong(digits) > max) {
            throw new IllegalArgumentException("out of range");
        }
        return Long.parseLong(digits);
    }

    /** Go's netip.ParseAddrPort: "a.b.c.d:port" or "[v6]:port", numeric only (wg resolves names before sending). */
    static InetSocketAddress parseEndpoint(String value) {
        HostPort split = HostPort.split(value); // Malformed is an IllegalArgumentException: EINVAL
        if (split.bracketed() && split.host().indexOf(':') < 0) {
            throw new IllegalArgumentException("brackets are for IPv6 only");
        }
        return new InetSocketAddress(parseAddress(split.host(), true), (int) parseUnsigned(split.port(), 0xffffL));
    }

    /** Go's netip.ParsePrefix: ADDR/BITS with decimal bits and no zone; host bits are allowed and cleared. */
    static Prefix parseAllowedIp(String value) {
        int slash = value.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("allowed_ip needs a /length");
        }
        String bits = value.substring(slash + 1);
        if (bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(c -> c >= '0' && c <= '9')
                || (bits.length() > 1 && bits.charAt(0) == '0')) {
            throw new IllegalArgumentException("bad prefix length");
        }
        String addrText = value.substring(0, slash);
        InetAddress addr = parseAddress(addrText, false);
        if (addrText.indexOf(':') >= 0 && addr instanceof Inet4Address) {
            // Java folds ::ffff:a.b.c.d into an IPv4 address, which Prefix cannot hold as a /96..128 IPv6 prefix.
            throw new IllegalArgumentException("IPv4-mapped IPv6 prefixes are not supported");
        }
        int len = Integer.parseInt(bits);
        if (len > addr.getAddress().length * 8) {
            throw new IllegalArgumentException("prefix length too long");
        }
        return new Prefix(addr, len);
    }

    /** A numeric IPv4 (no leading zeros, as Go insists) or IPv6 literal; IPv6 zones only when allowed, numeric. */
    private static InetAddress parseAddress(String text, boolean allowZone) {
        if (text.isEmpty() || text.length() > 64 || text.startsWith("[")) {
            throw new IllegalArgumentException("not an address");
        }
        if (text.indexOf(':') < 0) {
            String[] parts = text.split("\\.", -1);
            if (parts.length != 4) {
                throw new IllegalArgumentException("not an IPv4 address");
            }
            for (String p : parts) {
                if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                        || (p.length() > 1 && p.charAt(0) == '0') || Integer.parseInt(p) > 255) {
                    throw new IllegalArgumentException("not an IPv4 address");
                }
            }
        } else if (!allowZone && text.indexOf('%') >= 0) {
            throw new IllegalArgumentException("zones are not allowed here");
        }
        return Prefix.parseAddress(text);
    }

    /** Reads '\n'-terminated ASCII lines; refuses absurdly long ones rather than buffering without bound. */
    private static final class LineReader {
        private final InputStream in;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);

        LineReader(InputStream in) {
            this.in = in;
        }

        /** The next line without its '\n'; null at end of stream. A final unterminated line counts only if asked. */
        String next(boolean acceptUnterminated) throws IOException {
            line.reset();
            while (true) {
                int c = in.read();
                if (c < 0) {
                    return acceptUnterminated && line.size() > 0 ? line.toString(StandardCharsets.UTF_8) : null;
                }
                if (c == '\n') {
                    return line.toString(StandardCharsets.UTF_8);
                }
                if (line.size() >= MAX_LINE) {
                    throw new IOException("UAPI line longer than " + MAX_LINE + " bytes");
                }
                line.write(c);
            }
        }
    }
}
