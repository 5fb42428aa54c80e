package sitelink.policy;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import sitelink.crypto.Key;
import sitelink.packet.IcmpErrors;
import sitelink.packet.MssClamp;
import sitelink.packet.PacketView;
import sitelink.packet.TokenBucket;

/**
 * The site's rules on the data path: each remote site's allow rules (default deny once it has any), TCP MSS
 * clamping to the tunnel MTU in both directions, and ICMP "fragmentation needed" / "packet too big" for packets
 * larger than the tunnel MTU, so path-MTU discovery works end to end. Immutable: a reload installs a new one.
 */
public final class SiteFilter implements PacketFilter {
    /** A remote site as the filter knows it: its key, its name (for the policy's log lines) and its allow rules. */
    public record Remote(Key key, String name, List<Rule> rules) {
        public Remote {
            rules = List.copyOf(rules);
        }
    }

    /** At most 20 ICMP errors per second (burst 20), like the kernel's icmp_ratelimit spirit. */
    private static final double ICMP_ERRORS_PER_SECOND = 20;

    private final Map<Key, Policy> policies = new HashMap<>();
    private final MssClamp clamp;
    private final int mtu;
    private final TokenBucket icmpBudget = new TokenBucket(ICMP_ERRORS_PER_SECOND, 20);
    private final byte[] gateway4;
    private final byte[] gateway6;
    private final LongSupplier nanoTime;
    private final ThreadLocal<PacketView> views = ThreadLocal.withInitial(PacketView::new);
    private final ThreadLocal<IcmpErrors> errors;
    private final ThreadLocal<byte[]> errorBuffers = ThreadLocal.withInitial(() -> new byte[IcmpErrors.MAX_ERROR_LENGTH]);

    /**
     * @param mtu      the tunnel MTU: larger packets get an ICMP error, TCP MSS is clamped to fit it
     * @param clampMss whether to clamp the TCP MSS
     * @param source4  our IPv4 tunnel address, the source of the ICMP errors we send (empty: none are sent)
     * @param source6  the same for IPv6
     * @param nanoTime the monotonic clock of connection tracking and the ICMP error budget
     * @param previous the filter this one replaces on reload: a remote site whose rules did not change keeps its
     *                 policy, with its tracked connections and counters
     */
    public SiteFilter(int mtu, boolean clampMss, Optional<InetAddress> source4, Optional<InetAddress> source6,
                      List<Remote> remotes, LongSupplier nanoTime, SiteFilter previous) {
        this.nanoTime = nanoTime;
        this.mtu = mtu;
        this.clamp = new MssClamp(mtu, clampMss);
        this.errors = ThreadLocal.withInitial(() -> new IcmpErrors(mtu, icmpBudget));
        for (Remote r : remotes) {
            if (r.rules().isEmpty()) {
                continue;
            }
            Policy kept = previous == null ? null : previous.policies.get(r.key());
            policies.put(r.key(), kept != null && kept.rules().equals(r.rules()) ? kept
                    : new Policy(r.name(), r.rules(), Policy.Limits.DEFAULT, DropLog.systemLogger()));
        }
        this.gateway4 = source4.map(InetAddress::getAddress).orElse(null);
        this.gateway6 = source6.map(InetAddress::getAddress).orElse(null);
    }

    /** The policy of a remote site, if it has rules. */
    public Policy policy(Key remote) {
        return policies.get(remote);
    }

    @Override
    public boolean toTunnel(Key site, byte[] buf, int off, int len, LanWriter lan) {
        PacketView v = views.get();
        if (!v.parse(buf, off, len)) {
            return false;
        }
        if (v.totalLength() > mtu) {
            IcmpErrors e = errors.get();
            byte[] source = v.version() == 4 ? gateway4 : gateway6;
            if (source != null) {
                byte[] out = errorBuffers.get();
                int n = e.tooBig(v, source, out, 0, nanoTime.getAsLong());
                if (n > 0) {
                    lan.write(out, 0, n);
                }
            }
            if (e.check(v) != IcmpErrors.Outcome.MAY_FRAGMENT) {
                return false;
            }
        }
        Policy p = policies.get(site);
        if (p != null && !p.check(Direction.TO_REMOTE, v, nanoTime.getAsLong()).allowed()) {
            return false;
        }
        clamp.clamp(v);
        return true;
    }

    @Override
    public boolean fromTunnel(Key site, byte[] buf, int off, int len) {
        PacketView v = views.get();
        if (!v.parse(buf, off, len)) {
            return false;
        }
        Policy p = policies.get(site);
        if (p != null && !p.check(Direction.FROM_REMOTE, v, nanoTime.getAsLong()).allowed()) {
            return false;
        }
        clamp.clamp(v);
        return true;
    }
}
