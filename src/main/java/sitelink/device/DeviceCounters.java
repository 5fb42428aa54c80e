package sitelink.device;

import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import sitelink.tunnel.Drop;
import sitelink.tunnel.Remote;
import sitelink.tunnel.Tunnel;
import sitelink.wireguard.Peer;

/**
 * What the device counts around the tunnel protocol: datagrams and packets each way, its own drops (no route, source
 * not allowed, filtered...) and, per remote site, the drops it charges to that site. Striped adders: the data-path threads
 * count without sharing a cache line in steady state.
 */
final class DeviceCounters {
    private static final Drop[] DROPS = Drop.values();

    final LongAdder rxDatagrams = new LongAdder();
    final LongAdder txDatagrams = new LongAdder();
    final LongAdder rxPackets = new LongAdder();
    final LongAdder txPackets = new LongAdder();
    private final LongAdder[] drops = newDrops();
    /** Created on a peer's first charged drop (failure paths only). */
    private final ConcurrentHashMap<Remote, LongAdder[]> peerDrops = new ConcurrentHashMap<>();

    void drop(Drop d) {
        drops[d.ordinal()].increment();
    }

    void drops(Drop d, long n) {
        drops[d.ordinal()].add(n);
    }

    /** Counts a drop the device decided and charges it to {@code site}, so that status shows it under that site. */
    void drop(Drop d, Remote site) {
        drop(d);
        peerDrops.computeIfAbsent(site, k -> newDrops())[d.ordinal()].increment();
    }

    /** Drops charged to {@code peer} for {@code d}: the core's and the device's. */
    long peerDrops(Peer peer, Drop d) {
        LongAdder[] own = peerDrops.get(peer);
        return peer.stats().drops(d) + (own == null ? 0 : own[d.ordinal()].sum());
    }

    void forget(Remote peer) {
        peerDrops.remove(peer);
    }

    /** Every counter by name ({@code drop_replay}, {@code rx_datagrams}...): the tunnel's drops and the device's. */
    SortedMap<String, Long> byName(Tunnel[] tunnels) {
        SortedMap<String, Long> m = new TreeMap<>();
        for (Drop d : DROPS) {
            m.put(d.counterName(), drops(d, tunnels));
        }
        m.put("rx_datagrams", rxDatagrams.sum());
        m.put("tx_datagrams", txDatagrams.sum());
        m.put("rx_packets", rxPackets.sum());
        m.put("tx_packets", txPackets.sum());
        return m;
    }

    /** The drops of one kind: the device's and the tunnels'. */
    long drops(Drop d, Tunnel[] tunnels) {
        long n = drops[d.ordinal()].sum();
        for (Tunnel t : tunnels) {
            n += t.drops(d);
        }
        return n;
    }

    private static LongAdder[] newDrops() {
        LongAdder[] a = new LongAdder[DROPS.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }
}
