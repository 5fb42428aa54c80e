package sitelink.gateway;

import java.util.HashMap;
import java.util.Map;
import sitelink.config.InterfaceAddress;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.crypto.Key;
import sitelink.device.PacketFilter;
import sitelink.packet.IcmpErrors;
import sitelink.packet.MssClamp;
import sitelink.packet.PacketView;
import sitelink.packet.TokenBucket;
import sitelink.policy.Direction;
import sitelink.policy.DropLog;
import sitelink.policy.Policy;
import sitelink.wireguard.Clock;
import sitelink.wireguard.Peer;

/**
 * The site's rules on the data path: each remote site's allow rules (default deny once it has any), TCP MSS
 * clamping to the tunnel MTU in both directions, and ICMP "fragmentation needed" / "packet too big" for packets
 * larger than the tunnel MTU, so path-MTU discovery works end to end. Immutable: a reload installs a new one.
 */
final class SiteFilter implements PacketFilter {
    /** At most 20 ICMP errors per second (burst 20), like the kernel's icmp_ratelimit spirit. */
    private static final double ICMP_ERRORS_PER_SECOND = 20;

    private final Map<Key, Policy> policies = new HashMap<>();
    private final MssClamp clamp;
    private final int mtu;
    private final TokenBucket icmpBudget = new TokenBucket(ICMP_ERRORS_PER_SECOND, 20);
    private final byte[] gateway4;
    private final byte[] gateway6;
    private final Clock clock;
    private final ThreadLocal<PacketView> views = ThreadLocal.withInitial(PacketView::new);
    private final ThreadLocal<IcmpErrors> errors;
    private final ThreadLocal<byte[]> errorBuffers = ThreadLocal.withInitial(() -> new byte[IcmpErrors.MAX_ERROR_LENGTH]);

    /**
     * @param previous the filter this one replaces on reload: a remote site whose rules did not change keeps its
     *                 policy, with its tracked connections and counters
     */
    SiteFilter(SiteConfig config, Clock clock, SiteFilter previous) {
        this.clock = clock;
        this.mtu = config.tunnel().mtu();
        this.clamp = new MssClamp(mtu, config.tunnel().mssClamp());
        this.errors = ThreadLocal.withInitial(() -> new IcmpErrors(mtu, icmpBudget));
        for (RemoteSite r : config.remoteSites()) {
            if (r.policy().isEmpty()) {
                continue;
            }
            Policy kept = previous == null ? null : previous.policies.get(r.publicKey());
            policies.put(r.publicKey(), kept != null && kept.rules().equals(r.policy()) ? kept
                    : new Policy(r.name(), r.policy(), Policy.Limits.DEFAULT, DropLog.systemLogger()));
        }
        this.gateway4 = address(config, true);
        this.gateway6 = address(config, false);
    }

    /** Our tunnel address of that family, the source of the ICMP errors we send (null: none, so none are sent). */
    private static byte[] address(SiteConfig c, boolean v4) {
        for (InterfaceAddress a : c.tunnel().addresses()) {
            if (a.isIpv4() == v4) {
                return a.address().getAddress();
            }
        }
        return null;
    }

    Policy policy(Key remote) {
        return policies.get(remote);
    }

    @Override
    public boolean toTunnel(Peer peer, byte[] buf, int off, int len, LanWriter lan) {
        PacketView v = views.get();
        if (!v.parse(buf, off, len)) {
            return false;
        }
        if (v.totalLength() > mtu) {
            IcmpErrors e = errors.get();
            byte[] source = v.version() == 4 ? gateway4 : gateway6;
            if (source != null) {
                byte[] out = errorBuffers.get();
                int n = e.tooBig(v, source, out, 0, clock.nanoTime());
                if (n > 0) {
                    lan.write(out, 0, n);
                }
            }
            if (e.check(v) != IcmpErrors.Outcome.MAY_FRAGMENT) {
                return false;
            }
        }
        Policy p = policies.get(peer.publicKey());
        if (p != null && !p.check(Direction.TO_REMOTE, v, clock.nanoTime()).allowed()) {
            return false;
        }
        clamp.clamp(v);
        return true;
    }

    @Override
    public boolean fromTunnel(Peer peer, byte[] buf, int off, int len) {
        PacketView v = views.get();
        if (!v.parse(buf, off, len)) {
            return false;
        }
        Policy p = policies.get(peer.publicKey());
        if (p != null && !p.check(Direction.FROM_REMOTE, v, clock.nanoTime()).allowed()) {
            return false;
        }
        clamp.clamp(v);
        return true;
    }
}
