package sitelink.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;
import sitelink.packet.PacketView;
import sitelink.packet.TokenBucket;

/**
 * Log lines about dropped packets, at most as often as a token bucket allows: a port scan or a misconfigured peer must
 * not flood the log (or slow the data path). Lines not written are counted and the next line says how many.
 * Formatting allocates, but only for the few lines that are written.
 */
public final class DropLog {
    private final String site;
    private final TokenBucket bucket;
    private final Consumer<String> sink;
    private long suppressed;

    /** Writes to {@code System.getLogger("sitelink.policy")} at INFO. */
    public static Consumer<String> systemLogger() {
        System.Logger log = System.getLogger("sitelink.policy");
        return line -> log.log(System.Logger.Level.INFO, line);
    }

    public DropLog(String site, TokenBucket bucket, Consumer<String> sink) {
        this.site = site;
        this.bucket = bucket;
        this.sink = sink;
    }

    /** Called for every drop; writes a line when the bucket has a token. */
    public synchronized void dropped(Verdict why, Direction d, PacketView v, long nowNanos) {
        if (!bucket.tryAcquire(nowNanos)) {
            suppressed++;
            return;
        }
        String more = suppressed == 0 ? "" : " (" + suppressed + " more drops not logged)";
        suppressed = 0;
        sink.accept("Site " + site + " - dropped " + describe(v) + (d == Direction.TO_REMOTE ? " going to" : " coming from")
                + " the remote site: " + reason(why) + more);
    }

    /** Drops not yet mentioned in a log line. */
    public synchronized long suppressed() {
        return suppressed;
    }

    private static String reason(Verdict why) {
        return switch (why) {
            case DROP_NO_RULE -> "no rule allows it";
            case DROP_MALFORMED -> "malformed header";
            case DROP_FRAGMENT -> "fragment without ports that no rule allows";
            case DROP_TABLE_FULL -> "connection table full";
            case DROP_SOURCE_LIMIT -> "its source has too many connections";
            default -> why.name().toLowerCase(Locale.ROOT);
        };
    }

    /** "tcp 198.18.1.5:40000 -> 198.18.2.10:22", "icmp 198.18.1.5 -> 198.18.2.10 type 8", or "malformed packet". */
    static String describe(PacketView v) {
        if (!v.valid()) {
            return "a malformed packet";
        }
        String src = address(v, v.sourceOffset());
        String dst = address(v, v.destinationOffset());
        int p = v.protocol();
        if (v.hasTransport() && (p == PacketView.TCP || p == PacketView.UDP)) {
            String name = p == PacketView.TCP ? "tcp" : "udp";
            return name + " " + endpoint(src, v.version(), v.sourcePort()) + " -> "
                    + endpoint(dst, v.version(), v.destinationPort());
        }
        String name = p == PacketView.ICMP && v.version() == 4 ? "icmp"
                : p == PacketView.ICMPV6 && v.version() == 6 ? "icmpv6" : "protocol " + p;
        String type = v.hasTransport() && v.icmpType() >= 0 ? " type " + v.icmpType() : "";
        String frag = v.isFirstFragment() ? "" : " (later fragment)";
        return name + " " + src + " -> " + dst + type + frag;
    }

    private static String endpoint(String address, int version, int port) {
        return version == 6 ? "[" + address + "]:" + port : address + ":" + port;
    }

    private static String address(PacketView v, int off) {
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(v.buffer(), off, off + v.addressLength()))
                    .getHostAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
