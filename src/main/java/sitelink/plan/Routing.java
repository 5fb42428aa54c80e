package sitelink.plan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import sitelink.plan.Topology.Site;

/**
 * Who links to whom, and through which link each site reaches each other one.
 *
 * <p>Links: hubs and mesh members ("core" sites) link to every other core site; a spoke links to its hubs only.
 * Every site's file names, for each other site, exactly one link whose remote_subnets carry that site's prefixes:
 * that link is both where traffic to it is routed and the only one traffic from it is accepted on (WireGuard's
 * cryptokey routing). So the path from A to B must be the path from B to A reversed, or replies are dropped at the
 * first site where the two differ. {@link #next} is chosen so that it always is:
 * <ul>
 * <li>linked sites talk directly;</li>
 * <li>two spokes sharing a hub talk through the shared hub with the least sum of ranks in their two hub lists
 *     (then the earlier in the file): the same hub seen from either side;</li>
 * <li>otherwise a spoke sends through its home hub (the first in its list), and a core site reaches a spoke through
 *     that spoke's home hub.</li>
 * </ul>
 * {@link #unreachable} walks every pair both ways to confirm it.
 */
public final class Routing {
    private final List<Site> sites;
    private final Map<String, Integer> index = new HashMap<>();

    public Routing(List<Site> sites) {
        this.sites = List.copyOf(sites);
        for (int i = 0; i < this.sites.size(); i++) {
            index.put(this.sites.get(i).name(), i);
        }
    }

    public List<Site> sites() {
        return sites;
    }

    public boolean linked(Site a, Site b) {
        if (a == b) {
            return false;
        }
        if (!a.isSpoke() && !b.isSpoke()) {
            return true;
        }
        if (a.isSpoke() && b.isSpoke()) {
            return false;
        }
        Site spoke = a.isSpoke() ? a : b;
        Site other = a.isSpoke() ? b : a;
        return spoke.hubs().contains(other.name());
    }

    /** The site {@code from} hands traffic for {@code to} to (one of its linked sites), or empty if it has none. */
    public Optional<Site> next(Site from, Site to) {
        if (linked(from, to)) {
            return Optional.of(to);
        }
        if (from.isSpoke() && to.isSpoke()) {
            return sharedHub(from, to).or(() -> home(from));
        }
        return from.isSpoke() ? home(from) : home(to);
    }

    private Optional<Site> home(Site spoke) {
        return spoke.hubs().isEmpty() ? Optional.empty() : site(spoke.hubs().getFirst());
    }

    private Optional<Site> sharedHub(Site a, Site b) {
        Site best = null;
        int bestRank = Integer.MAX_VALUE;
        for (int i = 0; i < a.hubs().size(); i++) {
            int j = b.hubs().indexOf(a.hubs().get(i));
            if (j < 0) {
                continue;
            }
            Optional<Site> hub = site(a.hubs().get(i));
            if (hub.isEmpty()) {
                continue;
            }
            int rank = i + j;
            if (rank < bestRank || rank == bestRank && index.get(hub.get().name()) < index.get(best.name())) {
                best = hub.get();
                bestRank = rank;
            }
        }
        return Optional.ofNullable(best);
    }

    private Optional<Site> site(String name) {
        Integer i = index.get(name);
        return i == null ? Optional.empty() : Optional.of(sites.get(i));
    }

    /** The sites a packet from {@code from} to {@code to} passes, both ends included; empty if it gets lost or loops. */
    public List<Site> path(Site from, Site to) {
        List<Site> path = new ArrayList<>(List.of(from));
        Site at = from;
        while (at != to) {
            Optional<Site> n = next(at, to);
            if (n.isEmpty() || !linked(at, n.get()) || path.contains(n.get())) {
                return List.of();
            }
            path.add(n.get());
            at = n.get();
        }
        return path;
    }

    /**
     * Pairs that cannot talk: no path, or a path some site on it would drop because it expects that sender's traffic
     * on another link. Each as "a and b: why".
     */
    public List<String> unreachable() {
        List<String> out = new ArrayList<>();
        for (Site a : sites) {
            for (Site b : sites) {
                if (a == b) {
                    continue;
                }
                List<Site> p = path(a, b);
                if (p.isEmpty()) {
                    out.add(a.name() + " cannot reach " + b.name());
                    continue;
                }
                for (int i = 1; i < p.size(); i++) {
                    Optional<Site> back = next(p.get(i), a);
                    if (back.isEmpty() || back.get() != p.get(i - 1)) {
                        out.add(a.name() + "'s traffic to " + b.name() + " arrives at " + p.get(i).name() + " from "
                                + p.get(i - 1).name() + ", which does not carry " + a.name() + "'s subnets there");
                        break;
                    }
                }
            }
        }
        return out;
    }
}
