package sitelink.route;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Cryptokey routing (whitepaper section 2): which owner (peer) an address belongs to, by longest prefix match over the
 * owners' allowed IPs. The same table answers "which peer do I encrypt this packet to" for outbound packets and "was
 * this peer allowed to send from this source" for inbound ones.
 *
 * <p>One path-compressed binary trie per family, like the kernel's allowedips.c and wireguard-go's allowedips.go: a node
 * holds a prefix and, when a route ends there, its owner; an inner node without an owner always has two children.
 * Lookups walk from the root taking the bit after each node's prefix and remember the last owner passed, so a lookup
 * costs at most one node per distinct prefix length on the path and allocates nothing.
 *
 * <p>Concurrency: lookups run lock-free on data-path threads while the control plane updates. The nodes are immutable;
 * an update copies the path from the root to the node it changes (at most 33 or 129 nodes) and publishes both roots at
 * once through one volatile field, so a lookup sees either the whole update or none of it (also a whole
 * {@link #removeAll}) and never a half-linked node. Updates are rare (configuration), serialised by a lock, and cost
 * O(prefix length) allocations each; the rest of the tree is shared between the old and new snapshots.
 *
 * <p>Owners are compared with {@code equals}; one owner per exact prefix, so inserting a prefix again moves it.
 */
public final class AllowedIps<T> {
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /**
     * An immutable trie node. The key is the prefix as a 128-bit big-endian number (hi, lo) with host bits clear; an
     * IPv4 prefix sits in the top 32 bits of hi.
     */
    private record Node(long hi, long lo, int bits, Object owner, Node zero, Node one) {
        boolean matches(long keyHi, long keyLo) {
            return ((keyHi ^ hi) & maskHi(bits)) == 0 && ((keyLo ^ lo) & maskLo(bits)) == 0;
        }

        Node child(int bit) {
            return bit == 0 ? zero : one;
        }

        Node withChild(int bit, Node c) {
            return bit == 0 ? new Node(hi, lo, bits, owner, c, one) : new Node(hi, lo, bits, owner, zero, c);
        }

        Node withOwner(Object o) {
            return new Node(hi, lo, bits, o, zero, one);
        }
    }

    /** Both roots, published together. */
    private record Snapshot(Node v4, Node v6) {
    }

    private static final Snapshot EMPTY = new Snapshot(null, null);

    private volatile Snapshot snapshot = EMPTY;

    // Control-plane bookkeeping, guarded by `this`: the owner of each exact prefix, and each owner's prefixes in the
    // order they were (last) inserted, as wg shows them.
    private final Map<Prefix, T> ownerOf = new HashMap<>();
    private final Map<T, LinkedHashSet<Prefix>> prefixes = new HashMap<>();

    /** Routes {@code prefix} to {@code owner}. An exact prefix has one owner: inserting it again moves it. */
    public synchronized void insert(Prefix prefix, T owner) {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(owner, "owner");
        T old = ownerOf.put(prefix, owner);
        if (old != null) {
            forget(old, prefix);
        }
        prefixes.computeIfAbsent(owner, o -> new LinkedHashSet<>()).add(prefix);
        Snapshot s = snapshot;
        long[] k = key(prefix);
        if (prefix.isIpv4()) {
            snapshot = new Snapshot(insert(s.v4, k[0], k[1], prefix.length(), owner), s.v6);
        } else {
            snapshot = new Snapshot(s.v4, insert(s.v6, k[0], k[1], prefix.length(), owner));
        }
    }

    /** Removes {@code prefix} if {@code owner} owns it; true when it did. */
    public synchronized boolean remove(Prefix prefix, T owner) {
        if (owner == null || !owner.equals(ownerOf.get(prefix))) {
            return false;
        }
        ownerOf.remove(prefix);
        forget(owner, prefix);
        snapshot = without(snapshot, prefix);
        return true;
    }

    /** Removes every prefix of {@code owner} (peer removed, or its allowed IPs replaced), in one published update. */
    public synchronized void removeAll(T owner) {
        Set<Prefix> own = prefixes.remove(owner);
        if (own == null) {
            return;
        }
        Snapshot s = snapshot;
        for (Prefix p : own) {
            ownerOf.remove(p);
            s = without(s, p);
        }
        snapshot = s;
    }

    /** The prefixes of {@code owner}, in the order they were last inserted. */
    public synchronized List<Prefix> prefixesOf(T owner) {
        Set<Prefix> own = prefixes.get(owner);
        return own == null ? List.of() : List.copyOf(own);
    }

    /**
     * The owner of the longest prefix containing the address at {@code buf[off .. off + addrLen)} (addrLen 4 for IPv4,
     * 16 for IPv6, network byte order), or null. The hot path: lock-free, allocation-free.
     */
    @SuppressWarnings("unchecked")
    public T lookup(byte[] buf, int off, int addrLen) {
        Snapshot s = snapshot;
        if (addrLen == 4) {
            return (T) find(s.v4, ((long) (int) INT_BE.get(buf, off)) << 32, 0, 32);
        }
        if (addrLen == 16) {
            return (T) find(s.v6, (long) LONG_BE.get(buf, off), (long) LONG_BE.get(buf, off + 8), 128);
        }
        throw new IllegalArgumentException("address length " + addrLen + " is neither 4 nor 16");
    }

    /** The owner of the longest prefix containing {@code address}, or null. */
    public T lookup(InetAddress address) {
        byte[] a = address.getAddress();
        return lookup(a, 0, a.length);
    }

    public synchronized void clear() {
        ownerOf.clear();
        prefixes.clear();
        snapshot = EMPTY;
    }

    /** How many prefixes are routed, both families. */
    public synchronized int size() {
        return ownerOf.size();
    }

    private void forget(T owner, Prefix p) {
        Set<Prefix> own = prefixes.get(owner);
        own.remove(p);
        if (own.isEmpty()) {
            prefixes.remove(owner);
        }
    }

    private static Snapshot without(Snapshot s, Prefix p) {
        long[] k = key(p);
        return p.isIpv4()
                ? new Snapshot(remove(s.v4, k[0], k[1], p.length()), s.v6)
                : new Snapshot(s.v4, remove(s.v6, k[0], k[1], p.length()));
    }

    private static Object find(Node n, long hi, long lo, int maxBits) {
        Object found = null;
        while (n != null && n.matches(hi, lo)) {
            if (n.owner != null) {
                found = n.owner;
            }
            if (n.bits == maxBits) {
                break;
            }
            n = n.child(bit(hi, lo, n.bits));
        }
        return found;
    }

    /** Returns the root of a trie like {@code n} with (hi, lo)/bits routed to owner; {@code n} is left as it was. */
    private static Node insert(Node n, long hi, long lo, int bits, Object owner) {
        if (n == null) {
            return new Node(hi, lo, bits, owner, null, null);
        }
        int common = Math.min(commonBits(n.hi, n.lo, hi, lo), Math.min(n.bits, bits));
        if (common == n.bits && common == bits) {
            return n.withOwner(owner);
        }
        if (common == n.bits) {
            int b = bit(hi, lo, n.bits);
            return n.withChild(b, insert(n.child(b), hi, lo, bits, owner));
        }
        Node leaf = new Node(hi, lo, bits, owner, null, null);
        if (common == bits) {
            return leaf.withChild(bit(n.hi, n.lo, bits), n);
        }
        // The two diverge below both prefixes: a new inner node holds the shared part, one child each way.
        long innerHi = hi & maskHi(common);
        long innerLo = lo & maskLo(common);
        return bit(hi, lo, common) == 0 ? new Node(innerHi, innerLo, common, null, leaf, n)
                : new Node(innerHi, innerLo, common, null, n, leaf);
    }

    /** Returns the root of a trie like {@code n} without the route for exactly (hi, lo)/bits. */
    private static Node remove(Node n, long hi, long lo, int bits) {
        if (n == null || n.bits > bits || !n.matches(hi, lo)) {
            return n;
        }
        if (n.bits == bits) {
            return compact(n.withOwner(null));
        }
        int b = bit(hi, lo, n.bits);
        Node c = remove(n.child(b), hi, lo, bits);
        return c == n.child(b) ? n : compact(n.withChild(b, c));
    }

    /** An owner-less node is only kept while it joins two subtrees. */
    private static Node compact(Node n) {
        if (n.owner != null || n.zero != null && n.one != null) {
            return n;
        }
        return n.zero != null ? n.zero : n.one;
    }

    private static long[] key(Prefix p) {
        byte[] a = p.address().getAddress();
        long hi;
        long lo = 0;
        if (a.length == 4) {
            hi = ((long) (int) INT_BE.get(a, 0)) << 32;
        } else {
            hi = (long) LONG_BE.get(a, 0);
            lo = (long) LONG_BE.get(a, 8);
        }
        return new long[] {hi & maskHi(p.length()), lo & maskLo(p.length())};
    }

    /** Bit {@code i} (0 = most significant) of the 128-bit number (hi, lo). */
    private static int bit(long hi, long lo, int i) {
        return (int) (i < 64 ? hi >>> (63 - i) : lo >>> (127 - i)) & 1;
    }

    private static int commonBits(long hi1, long lo1, long hi2, long lo2) {
        long x = hi1 ^ hi2;
        return x != 0 ? Long.numberOfLeadingZeros(x) : 64 + Long.numberOfLeadingZeros(lo1 ^ lo2);
    }

    private static long maskHi(int bits) {
        return bits == 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
    }

    private static long maskLo(int bits) {
        return bits <= 64 ? 0 : -1L << (128 - bits);
    }
}
