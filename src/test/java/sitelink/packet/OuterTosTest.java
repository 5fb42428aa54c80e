package sitelink.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The outer TOS from the inner packet (DSCP copied or fixed, ECN copied) and RFC 6040's decapsulation table. */
class OuterTosTest {
    private static final int EF = 46, NOT_ECT = 0, ECT1 = 1, ECT0 = 2, CE = 3;

    private static byte[] v4(int tos) {
        byte[] p = Packets.ipv4(Packets.addr("198.18.1.10"), Packets.addr("198.18.2.10"), 17, 0, new byte[8]);
        p[1] = (byte) tos;
        p[10] = 0;
        p[11] = 0;
        int c = Checksum.of(p, 0, 20);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
        return p;
    }

    private static byte[] v6(int tclass) {
        byte[] p = Packets.ipv6(Packets.addr("2001:db8:1::10"), Packets.addr("2001:db8:2::10"), 17, new byte[0], new byte[8]);
        p[0] = (byte) (0x60 | tclass >>> 4);
        p[1] = (byte) ((p[1] & 0x0f) | (tclass & 0x0f) << 4);
        return p;
    }

    @Test
    void copiesTheInnerDscpAndEcnOutwardOrSetsAFixedDscp() {
        for (int ecn = 0; ecn < 4; ecn++) {
            int tos = EF << 2 | ecn;
            assertEquals(tos, OuterTos.encapsulate(OuterTos.COPY, v4(tos), 0, 28), "IPv4 EF, ECN " + ecn);
            assertEquals(tos, OuterTos.encapsulate(OuterTos.COPY, v6(tos), 0, 48), "IPv6 EF, ECN " + ecn);
            assertEquals(10 << 2 | ecn, OuterTos.encapsulate(10, v4(tos), 0, 28), "fixed AF11, ECN still copied");
            assertEquals(ecn, OuterTos.encapsulate(0, v6(tos), 0, 48), "dscp 0: class hidden, ECN still copied");
        }
        assertEquals(0xb8, OuterTos.of(v4(0xb8), 0, 28), "ping -Q 0xb8");
        assertEquals(0, OuterTos.encapsulate(OuterTos.COPY, new byte[] {0x45, 1, 2}, 0, 3), "not a whole IP header");
    }

    /** RFC 6040 section 4.2, figure 4: the inner ECN after decapsulation, for each inner (row) and outer (column). */
    @Test
    void decapsulationFollowsRfc6040() {
        int[] outers = {NOT_ECT, ECT0, ECT1, CE};
        int[][] table = {
                {NOT_ECT, NOT_ECT, NOT_ECT, OuterTos.DROP}, // inner Not-ECT
                {ECT0, ECT0, ECT1, CE},                     // inner ECT(0)
                {ECT1, ECT1, ECT1, CE},                     // inner ECT(1)
                {CE, CE, CE, CE},                           // inner CE
        };
        int[] inners = {NOT_ECT, ECT0, ECT1, CE};
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                int expected = table[r][c];
                int innerTos = EF << 2 | inners[r];
                byte[] p4 = v4(innerTos);
                int got4 = OuterTos.decapsulate(0x28 << 2 | outers[c], p4, 0, p4.length);
                byte[] p6 = v6(innerTos);
                int got6 = OuterTos.decapsulate(outers[c], p6, 0, p6.length);
                String what = "inner " + inners[r] + " outer " + outers[c];
                if (expected == OuterTos.DROP) {
                    assertEquals(OuterTos.DROP, got4, what);
                    assertEquals(OuterTos.DROP, got6, what);
                    continue;
                }
                int tos = EF << 2 | expected; // the inner DSCP is never changed by the outer one
                assertEquals(tos, got4, what);
                assertEquals(tos, OuterTos.of(p4, 0, p4.length), what + ": IPv4 header rewritten");
                assertEquals(0, Checksum.of(p4, 0, 20), what + ": IPv4 header checksum still right");
                assertEquals(tos, got6, what);
                assertEquals(tos, OuterTos.of(p6, 0, p6.length), what + ": IPv6 header rewritten");
                assertEquals(6, (p6[0] & 0xff) >>> 4, "still IPv6");
            }
        }
    }
}
