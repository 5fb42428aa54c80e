package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sitelink.route.Prefix;

/** The sorted check that lets a hub's file skip its pairwise subnet checks agrees with the pairwise check itself. */
class AnyOverlapTest {
    @Test
    void agreesWithThePairwiseCheckOnRandomPrefixSets() throws java.net.UnknownHostException {
        SplittableRandom random = new SplittableRandom(17);
        int overlapping = 0;
        for (int round = 0; round < 3000; round++) {
            List<Prefix> prefixes = new ArrayList<>();
            int n = 1 + random.nextInt(12);
            for (int i = 0; i < n; i++) {
                boolean v6 = random.nextInt(4) == 0;
                byte[] a = new byte[v6 ? 16 : 4];
                // few distinct leading bytes, so that overlaps are common
                a[0] = (byte) (198 + random.nextInt(2));
                a[1] = (byte) random.nextInt(3);
                a[2] = (byte) random.nextInt(256);
                int len = random.nextInt(v6 ? 129 : 33);
                prefixes.add(new Prefix(java.net.InetAddress.getByAddress(a), len));
            }
            boolean naive = false;
            for (int i = 0; i < prefixes.size(); i++) {
                for (int j = 0; j < i; j++) {
                    naive |= prefixes.get(i).overlaps(prefixes.get(j));
                }
            }
            overlapping += naive ? 1 : 0;
            assertEquals(naive, SiteValidator.anyOverlap(prefixes), prefixes.toString());
        }
        assertEquals(true, overlapping > 300 && overlapping < 2700, "both outcomes are exercised: " + overlapping);
    }

    @Test
    void aThousandDisjointSpokesDoNotOverlap() {
        List<Prefix> spokes = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            spokes.add(Prefix.parse("198.19." + i / 4 + "." + i % 4 * 64 + "/26"));
        }
        assertEquals(false, SiteValidator.anyOverlap(spokes));
        spokes.add(Prefix.parse("198.19.100.70/32"));
        assertEquals(true, SiteValidator.anyOverlap(spokes));
    }
}
