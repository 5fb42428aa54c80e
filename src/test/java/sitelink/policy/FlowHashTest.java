package sitelink.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FlowHashTest {
    /** 198.18.1.5 and 198.18.2.10 as the table keys IPv4 addresses, and a TCP word with ports 1024 and 443. */
    static final long A = 0xc6120105L;
    static final long B = 0xc612020aL;
    static final long TCP = 1L << 62 | 4L << 48 | 6L << 32 | 1024 << 16 | 443;

    @Test
    void eachRandomKeyGivesOtherValuesAndTheKeyAloneDecides() {
        assertNotEquals(FlowHash.random().hash(0, A, 0, B, TCP), FlowHash.random().hash(0, A, 0, B, TCP));
        assertEquals(new FlowHash(new SplittableRandom(3)).hash(0, A, 0, B, TCP),
                new FlowHash(new SplittableRandom(3)).hash(0, A, 0, B, TCP));
        FlowHash h = new FlowHash(new SplittableRandom(3));
        assertNotEquals(h.hash(0, A, 0, B, TCP), h.hash(0, B, 0, A, TCP), "the order of the words counts");
        assertNotEquals(h.hash(0, A, 4), h.hash(0, A, 6), "the tag counts");
    }

    /** The sum over all ten 32-bit halves, upper half kept, then MurmurHash3's fmix32: what the class says it does. */
    static int definition(long seed, long... words) {
        SplittableRandom r = new SplittableRandom(seed);
        long sum = r.nextLong();
        for (long w : words) {
            sum += r.nextLong() * (w >>> 32);
            sum += r.nextLong() * (w & 0xffff_ffffL);
        }
        int h = (int) (sum >>> 32);
        h = (h ^ (h >>> 16)) * 0x85ebca6b;
        h = (h ^ (h >>> 13)) * 0xc2b2ae35;
        return h ^ (h >>> 16);
    }

    @Test
    void isVectorMultiplyShiftOverEveryHalfForIpv4AndIpv6Keys() {
        FlowHash h = new FlowHash(new SplittableRandom(9));
        assertEquals(definition(9, 0, A, 0, B, TCP), h.hash(0, A, 0, B, TCP), "IPv4 (the short cut)");
        long v6 = 0x2001_0db8_0001_0000L;
        assertEquals(definition(9, v6, 5, v6 + 1, 0x10, TCP), h.hash(v6, 5, v6 + 1, 0x10, TCP), "IPv6");
        assertEquals(definition(9, 0, 5L << 32, 0, 7, TCP), h.hash(0, 5L << 32, 0, 7, TCP), "IPv6 ::5:0:0:0");
        assertEquals(definition(9, v6, A, 4), h.hash(v6, A, 4), "an address and a tag");
    }

    /**
     * The flows of one host to one server, from 32768 consecutive source ports, in a linear-probing table of 65536
     * slots: no probe run grows longer than with a random function (about 25 at this load).
     */
    @Test
    void consecutivePortsSpreadInALinearProbingTable() {
        for (long seed = 0; seed < 4; seed++) {
            FlowHash h = new FlowHash(new SplittableRandom(seed));
            boolean[] used = new boolean[1 << 16];
            int longest = 0;
            for (int port = 0; port < 1 << 15; port++) {
                int i = h.hash(0, A, 0, B, TCP & ~0xffff_0000L | (long) port << 16) & 0xffff;
                int probes = 1;
                while (used[i]) {
                    i = (i + 1) & 0xffff;
                    probes++;
                }
                used[i] = true;
                longest = Math.max(longest, probes);
            }
            assertTrue(longest < 60, "longest probe run with key " + seed + ": " + longest);
        }
    }
}
