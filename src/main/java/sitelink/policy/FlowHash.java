package sitelink.policy;

import java.security.SecureRandom;
import java.util.random.RandomGenerator;

/**
 * The keyed hash of the policy's tables. Whoever sends the packets picks the addresses and ports that are hashed:
 * with a fixed hash they could pick flows that all land in one probe run of the connection table, making every lookup
 * a scan (hash flooding), or aim at one slot of the fragment table. So each policy draws its own random key; nobody
 * outside the process sees the key or a hash value.
 *
 * <p>The hash is vector multiply-shift (Dietzfelbinger; Thorup, "High Speed Hashing for Integers and Strings",
 * section 3.3) over the key's 32-bit halves, keeping the upper 32 bits of the 64-bit sum. It is strongly universal:
 * for any two different flows, chosen without knowing the key, the pair of hash values is uniform, so they share a
 * slot of a 2^n-slot table with probability 2^-n whatever the flows are. There are no key-independent collisions to
 * aim with, as there are for seeded mixes like MurmurHash (Aumasson, Bernstein and Boßlet, "Hash-flooding DoS
 * reloaded", 2012). A fixed bijective finaliser (MurmurHash3's fmix32) keeps that property and hides the arithmetic
 * structure multiply-shift leaves in its values: pairwise independence alone does not promise short probe runs under
 * linear probing (Pătraşcu and Thorup, "On the k-independence required by linear probing", 2010). SipHash, which
 * Linux conntrack uses, was measured too: Bouncy Castle's takes about 50 ns for a flow key, five times this hash and
 * a large share of a whole policy check. Stateless once made, so a policy's tables share one.
 */
final class FlowHash {
    private static final long LOW = 0xffff_ffffL;

    // the additive term and one random multiplier per 32-bit half of five words (fields, not an array: no bounds
    // checks on the data path)
    private final long k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10;

    FlowHash(RandomGenerator r) {
        k0 = r.nextLong();
        k1 = r.nextLong();
        k2 = r.nextLong();
        k3 = r.nextLong();
        k4 = r.nextLong();
        k5 = r.nextLong();
        k6 = r.nextLong();
        k7 = r.nextLong();
        k8 = r.nextLong();
        k9 = r.nextLong();
        k10 = r.nextLong();
    }

    /** A hash under a fresh key from {@link SecureRandom}, for a table that a packet's sender must not predict. */
    static FlowHash random() {
        return new FlowHash(new SecureRandom());
    }

    /** The hash of three words (an address and a tag). */
    int hash(long a, long b, long c) {
        return fmix((k0 + k1 * (a >>> 32) + k2 * (a & LOW) + k3 * (b >>> 32) + k4 * (b & LOW) + k5 * (c >>> 32)
                + k6 * (c & LOW)) >>> 32);
    }

    /** The hash of five words (two addresses, high and low words, and a word of ports and protocol). */
    int hash(long a, long b, long c, long d, long e) {
        long sum = k0 + k4 * (b & LOW) + k8 * (d & LOW) + k9 * (e >>> 32) + k10 * (e & LOW);
        // IPv4 addresses are all in the low halves of b and d: the other halves would add nothing, so skip them
        if ((a | c | (b | d) >>> 32) != 0) {
            sum += k1 * (a >>> 32) + k2 * (a & LOW) + k3 * (b >>> 32) + k5 * (c >>> 32) + k6 * (c & LOW)
                    + k7 * (d >>> 32);
        }
        return fmix(sum >>> 32);
    }

    /** MurmurHash3's 32-bit finaliser: a bijection, so the result stays strongly universal. */
    private static int fmix(long high) {
        int h = (int) high;
        h = (h ^ (h >>> 16)) * 0x85ebca6b;
        h = (h ^ (h >>> 13)) * 0xc2b2ae35;
        return h ^ (h >>> 16);
    }
}
