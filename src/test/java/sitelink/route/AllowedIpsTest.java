package sitelink.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AllowedIpsTest {
    record Peer(String name) {
    }

    private static final Peer A = new Peer("a");
    private static final Peer B = new Peer("b");
    private static final Peer C = new Peer("c");
    private static final Peer D = new Peer("d");
    private static final Peer E = new Peer("e");
    private static final Peer F = new Peer("f");
    private static final Peer G = new Peer("g");
    private static final Peer H = new Peer("h");

    private final AllowedIps<Peer> table = new AllowedIps<>();

    private static InetAddress ip(String s) {
        return Prefix.parseAddress(s);
    }

    private Peer at(String address) {
        return table.lookup(ip(address));
    }

    private void insert(Peer owner, String prefix) {
        table.insert(Prefix.parse(prefix), owner);
    }

    @Test
    void nestedPrefixesMatchTheLongest() {
        insert(A, "0.0.0.0/0");
        insert(B, "10.0.0.0/8");
        insert(C, "10.1.2.0/24");
        insert(D, "10.1.2.3/32");
        assertEquals(D, at("10.1.2.3"));
        assertEquals(C, at("10.1.2.4"));
        assertEquals(C, at("10.1.2.255"));
        assertEquals(B, at("10.1.3.3"));
        assertEquals(B, at("10.255.255.255"));
        assertEquals(A, at("11.0.0.0"));
        assertEquals(A, at("9.255.255.255"));
        assertEquals(4, table.size());

        table.remove(Prefix.parse("10.1.2.0/24"), C);
        assertEquals(D, at("10.1.2.3"), "removing the middle keeps what is above and below");
        assertEquals(B, at("10.1.2.4"));
        table.remove(Prefix.parse("0.0.0.0/0"), A);
        assertNull(at("11.0.0.0"));
        assertEquals(B, at("10.0.0.1"));
    }

    /** The fixed cases of the kernel's selftest/allowedips.c, with its peers a..h. */
    @Test
    void kernelSelftestVectors() {
        insert(A, "192.168.4.0/24");
        insert(B, "192.168.4.4/32");
        insert(C, "192.168.0.0/16");
        insert(D, "192.95.5.64/27");
        insert(C, "192.95.5.65/27"); // replaces d, and the host bit must be masked off
        insert(D, "2607:5300:6000:6b00::c05f:543/128");
        insert(C, "2607:5300:6000:6b00::/64");
        insert(E, "0.0.0.0/0");
        insert(E, "::/0");
        insert(F, "::/0"); // replaces e
        insert(G, "2404:6800::/32");
        insert(H, "2404:6800:4004:800:dead:beef:dead:beef/64");
        insert(A, "2404:6800:4004:800:dead:beef:dead:beef/128");
        insert(C, "2444:6800:40e4:800:deae:beef:def:beef/128");
        insert(B, "2444:6800:f0e4:800:eeae:beef::/98");
        insert(G, "64.15.112.0/20");
        insert(H, "64.15.123.211/25");
        insert(A, "10.0.0.0/25");
        insert(B, "10.0.0.128/25");
        insert(A, "10.1.0.0/30");
        insert(B, "10.1.0.4/30");
        insert(C, "10.1.0.8/29");
        insert(D, "10.1.0.16/29");

        assertEquals(A, at("192.168.4.20"));
        assertEquals(A, at("192.168.4.0"));
        assertEquals(B, at("192.168.4.4"));
        assertEquals(C, at("192.168.200.182"));
        assertEquals(C, at("192.95.5.68"));
        assertEquals(E, at("192.95.5.96"));
        assertEquals(D, at("2607:5300:6000:6b00::c05f:543"));
        assertEquals(C, at("2607:5300:6000:6b00::c02e:1ee"));
        assertEquals(F, at("2607:5300:6000:6b01::"));
        assertEquals(G, at("2404:6800:4004:806::1006"));
        assertEquals(G, at("2404:6800:4004:806:0:1234:0:5678"));
        assertEquals(F, at("2404:67ff:4004:806:0:1234:0:5678"));
        assertEquals(F, at("2404:6801:4004:806:0:1234:0:5678"));
        assertEquals(H, at("2404:6800:4004:800:0:1234:0:5678"));
        assertEquals(H, at("2404:6800:4004:800::"));
        assertEquals(H, at("2404:6800:4004:800:1010:1010:1010:1010"));
        assertEquals(A, at("2404:6800:4004:800:dead:beef:dead:beef"));
        assertEquals(G, at("64.15.116.26"));
        assertEquals(G, at("64.15.127.3"));
        assertEquals(G, at("64.15.123.1"));
        assertEquals(H, at("64.15.123.128"));
        assertEquals(H, at("64.15.123.129"));
        assertEquals(A, at("10.0.0.52"));
        assertEquals(B, at("10.0.0.220"));
        assertEquals(A, at("10.1.0.2"));
        assertEquals(B, at("10.1.0.6"));
        assertEquals(C, at("10.1.0.10"));
        assertEquals(D, at("10.1.0.20"));
    }

    @Test
    void insertingAPrefixAgainMovesItToTheNewOwner() {
        insert(A, "10.0.0.0/8");
        insert(A, "10.1.0.0/16");
        insert(B, "10.0.0.0/8");
        assertEquals(B, at("10.2.0.1"));
        assertEquals(A, at("10.1.0.1"));
        assertEquals(List.of(Prefix.parse("10.1.0.0/16")), table.prefixesOf(A));
        assertEquals(List.of(Prefix.parse("10.0.0.0/8")), table.prefixesOf(B));
        assertEquals(2, table.size());
        assertFalse(table.remove(Prefix.parse("10.0.0.0/8"), A), "a no longer owns it");
        assertEquals(B, at("10.2.0.1"));
        assertTrue(table.remove(Prefix.parse("10.0.0.0/8"), B));
        assertNull(at("10.2.0.1"));
        assertFalse(table.remove(Prefix.parse("10.0.0.0/8"), B), "already gone");
        assertFalse(table.remove(Prefix.parse("10.1.0.0/24"), A), "only exact prefixes are removed");
        assertEquals(1, table.size());
    }

    @Test
    void removeAllLeavesTheOtherOwners() {
        insert(A, "10.0.0.0/8");
        insert(A, "192.168.1.0/24");
        insert(A, "fd00::/8");
        insert(A, "fd00:1::/32");
        insert(B, "10.1.0.0/16");
        insert(B, "fd00:1:2::/48");
        insert(C, "0.0.0.0/0");
        table.removeAll(A);
        assertEquals(List.of(), table.prefixesOf(A));
        assertEquals(B, at("10.1.2.3"));
        assertEquals(C, at("10.2.0.1"));
        assertEquals(C, at("192.168.1.1"));
        assertEquals(B, at("fd00:1:2::1"));
        assertNull(at("fd00:1:3::1"));
        assertNull(at("fd00::1"));
        assertEquals(3, table.size());
        table.removeAll(A); // nothing left: no-op
        table.removeAll(D); // never had any
        assertEquals(3, table.size());
    }

    @Test
    void removeAllOfNestedPrefixesLeavesNothing() {
        insert(A, "192.168.0.0/16");
        insert(A, "192.168.0.0/24");
        for (String host : List.of("1.0.0.0", "64.0.0.0", "128.0.0.0", "192.0.0.0", "255.0.0.0")) {
            insert(A, host + "/32");
        }
        table.removeAll(A);
        assertNull(at("192.168.0.1"));
        assertNull(at("255.0.0.0"));
        assertEquals(0, table.size());
    }

    @Test
    void ipv6IncludingTheDefaultRoute() {
        insert(A, "::/0");
        insert(B, "2001:db8::/32");
        insert(C, "2001:db8:1::/48");
        insert(D, "2001:db8:1::1/128");
        insert(E, "2001:db8:1:0:8000::/65");
        assertEquals(A, at("::"));
        assertEquals(A, at("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        assertEquals(B, at("2001:db8:ffff::1"));
        assertEquals(C, at("2001:db8:1::2"));
        assertEquals(D, at("2001:db8:1::1"));
        assertEquals(E, at("2001:db8:1:0:8000::1"), "a prefix that ends in the low 64 bits");
        assertEquals(C, at("2001:db8:1:0:7fff::1"));
        assertEquals(C, at("2001:db8:1:1:8000::1"));
    }

    @Test
    void familiesAreSeparate() {
        insert(A, "0.0.0.0/0");
        assertNull(at("::"));
        assertNull(at("::1"));
        insert(B, "::/0");
        assertEquals(A, at("0.0.0.0"));
        assertEquals(B, at("::"));
        table.remove(Prefix.parse("0.0.0.0/0"), A);
        insert(C, "10.0.0.0/8");
        // ::ffff:10.0.0.1, an IPv4-mapped IPv6 address, is IPv6 here and only the IPv6 routes apply.
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 1;
        assertEquals(B, table.lookup(mapped, 0, 16));
        table.removeAll(B);
        assertNull(table.lookup(mapped, 0, 16));
        assertEquals(C, at("10.0.0.1"));
    }

    @Test
    void hostBitsInThePrefixAreIgnored() {
        insert(A, "10.1.2.3/8");
        assertEquals(List.of(Prefix.parse("10.0.0.0/8")), table.prefixesOf(A));
        assertEquals(A, at("10.200.0.1"));
        insert(B, "10.9.9.9/8");
        assertEquals(B, at("10.200.0.1"), "the same prefix, so it moved");
        assertEquals(1, table.size());
        insert(C, "2001:db8::1/32");
        assertEquals(List.of(Prefix.parse("2001:db8::/32")), table.prefixesOf(C));
        assertEquals(C, at("2001:db8:ffff::"));
    }

    @Test
    void looksUpAddressesInsidePacketBuffers() {
        insert(A, "192.168.1.0/24");
        insert(B, "2001:db8::/32");
        byte[] packet = new byte[64];
        packet[16] = (byte) 192; // IPv4 destination at offset 16
        packet[17] = (byte) 168;
        packet[18] = 1;
        packet[19] = 77;
        assertEquals(A, table.lookup(packet, 16, 4));
        assertNull(table.lookup(packet, 15, 4));
        byte[] v6 = ip("2001:db8::5").getAddress();
        System.arraycopy(v6, 0, packet, 24, 16); // IPv6 destination at offset 24
        assertEquals(B, table.lookup(packet, 24, 16));
        assertThrows(IllegalArgumentException.class, () -> table.lookup(packet, 0, 8));
    }

    @Test
    void prefixesOfKeepsInsertionOrderAndReinsertingMovesToTheEnd() {
        insert(A, "10.0.0.0/8");
        insert(A, "fd00::/8");
        insert(A, "192.168.0.0/16");
        insert(A, "10.0.0.0/8");
        assertEquals(List.of(Prefix.parse("fd00::/8"), Prefix.parse("192.168.0.0/16"), Prefix.parse("10.0.0.0/8")),
                table.prefixesOf(A));
        assertEquals(List.of(), table.prefixesOf(B));
    }

    @Test
    void clearEmptiesBothFamilies() {
        insert(A, "0.0.0.0/0");
        insert(A, "::/0");
        table.clear();
        assertEquals(0, table.size());
        assertNull(at("1.2.3.4"));
        assertNull(at("::1"));
        assertEquals(List.of(), table.prefixesOf(A));
    }

    /** The naive model of the kernel's self-test: a list of routes, longest match by linear scan. */
    static final class Horrible {
        record Route(byte[] address, int length, Peer owner) {
        }

        final List<Route> routes = new ArrayList<>();

        void insert(Prefix p, Peer owner) {
            routes.removeIf(r -> same(r, p));
            routes.add(new Route(p.address().getAddress(), p.length(), owner));
        }

        boolean remove(Prefix p, Peer owner) {
            return routes.removeIf(r -> same(r, p) && r.owner.equals(owner));
        }

        void removeAll(Peer owner) {
            routes.removeIf(r -> r.owner.equals(owner));
        }

        Peer lookup(byte[] a) {
            Route best = null;
            for (Route r : routes) {
                if (r.address.length == a.length && matches(r.address, r.length, a)
                        && (best == null || r.length > best.length)) {
                    best = r;
                }
            }
            return best == null ? null : best.owner;
        }

        Set<Prefix> prefixesOf(Peer owner) {
            Set<Prefix> s = new HashSet<>();
            for (Route r : routes) {
                if (r.owner.equals(owner)) {
                    s.add(new Prefix(address(r.address), r.length));
                }
            }
            return s;
        }

        private static boolean same(Route r, Prefix p) {
            return r.length == p.length() && java.util.Arrays.equals(r.address, p.address().getAddress());
        }

        private static boolean matches(byte[] prefix, int length, byte[] a) {
            for (int i = 0; i < length; i++) {
                if (((prefix[i >> 3] ^ a[i >> 3]) & (0x80 >>> (i & 7))) != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    private static InetAddress address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** A random address sharing the first {@code keep} bits of {@code base}. */
    private static byte[] mutate(SplittableRandom rnd, byte[] base, int keep) {
        byte[] out = base.clone();
        for (int i = keep; i < out.length * 8; i++) {
            if (rnd.nextBoolean()) {
                out[i >> 3] ^= (byte) (0x80 >>> (i & 7));
            }
        }
        return out;
    }

    /**
     * Random routes and near-miss routes for many peers in both families, checked against the naive model after the
     * inserts, after random single removals (right and wrong owners), and after each peer's removeAll, in the style of
     * the kernel's randomized_test.
     */
    @Test
    void agreesWithANaiveModel() {
        SplittableRandom rnd = new SplittableRandom(0x5eed);
        Peer[] peers = new Peer[64];
        for (int i = 0; i < peers.length; i++) {
            peers[i] = new Peer("p" + i);
        }
        Horrible model = new Horrible();
        List<Prefix> inserted = new ArrayList<>();
        for (int len : new int[] {4, 16}) {
            for (int i = 0; i < 120; i++) {
                byte[] base = new byte[len];
                rnd.nextBytes(base);
                for (int j = 0; j < 12; j++) {
                    byte[] a = j == 0 ? base : mutate(rnd, base, rnd.nextInt(len * 8));
                    Prefix p = new Prefix(address(a), rnd.nextInt(len * 8 + 1));
                    Peer owner = peers[rnd.nextInt(peers.length)];
                    table.insert(p, owner);
                    model.insert(p, owner);
                    inserted.add(p);
                }
            }
        }
        checkAgainst(model, rnd, peers, inserted);

        for (int i = 0; i < 300; i++) {
            Prefix p = inserted.get(rnd.nextInt(inserted.size()));
            Peer owner = peers[rnd.nextInt(peers.length)];
            Peer actual = table.lookup(p.address()); // often the owner, so the removal happens
            if (rnd.nextBoolean() && actual != null) {
                owner = actual;
            }
            assertEquals(model.remove(p, owner), table.remove(p, owner), "remove " + p + " for " + owner);
        }
        checkAgainst(model, rnd, peers, inserted);

        for (int i = 0; i < peers.length; i++) {
            table.removeAll(peers[i]);
            model.removeAll(peers[i]);
            if (i % 8 == 7) {
                checkAgainst(model, rnd, peers, inserted);
            }
        }
        assertEquals(0, table.size());
        assertNull(table.lookup(ip("::")));
        assertNull(table.lookup(ip("0.0.0.0")));
    }

    private void checkAgainst(Horrible model, SplittableRandom rnd, Peer[] peers, List<Prefix> inserted) {
        assertEquals(model.routes.size(), table.size());
        for (Peer p : peers) {
            assertEquals(model.prefixesOf(p), new HashSet<>(table.prefixesOf(p)), "prefixes of " + p);
        }
        for (int i = 0; i < 1500; i++) {
            byte[] a;
            if (rnd.nextInt(3) == 0) {
                a = new byte[rnd.nextBoolean() ? 4 : 16];
                rnd.nextBytes(a);
            } else {
                // Near an inserted route: inside it, or just outside where a bit of its prefix is flipped.
                Prefix p = inserted.get(rnd.nextInt(inserted.size()));
                a = mutate(rnd, p.address().getAddress(), p.length());
                if (p.length() > 0 && rnd.nextInt(4) == 0) {
                    int flip = rnd.nextInt(p.length());
                    a[flip >> 3] ^= (byte) (0x80 >>> (flip & 7));
                }
            }
            Peer expected = model.lookup(a);
            byte[] packet = new byte[a.length + 7];
            System.arraycopy(a, 0, packet, 7, a.length);
            assertEquals(expected, table.lookup(packet, 7, a.length), () -> "lookup " + address(a));
            if (i % 16 == 0) {
                assertEquals(expected, table.lookup(address(a)));
            }
        }
    }

    /**
     * Readers never see a missing or half-made route while the control plane rewrites the nested ones: 10.0.0.0/8
     * always belongs to a, and every answer inside it is a or one of the owners being moved around.
     */
    @Test
    void lookupsDuringUpdatesSeeWholeSnapshots() throws InterruptedException {
        insert(A, "10.0.0.0/8");
        Set<Peer> allowed = Set.of(A, B, C);
        AtomicReference<String> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            byte[] addr = {10, 0, 0, 0};
            for (int i = 0; i < 400_000 && failure.get() == null; i++) {
                addr[1] = (byte) (i & 3);
                addr[3] = (byte) i;
                Peer p = table.lookup(addr, 0, 4);
                if (!allowed.contains(p)) {
                    failure.set("10." + (i & 3) + ".0." + (i & 255) + " -> " + p);
                }
            }
        });
        reader.start();
        SplittableRandom rnd = new SplittableRandom(7);
        while (reader.isAlive()) {
            Prefix p = Prefix.parse("10." + rnd.nextInt(4) + ".0.0/" + (16 + rnd.nextInt(17)));
            switch (rnd.nextInt(4)) {
                case 0 -> table.insert(p, B);
                case 1 -> table.insert(p, C);
                case 2 -> table.removeAll(B);
                default -> table.removeAll(C);
            }
        }
        reader.join();
        assertNull(failure.get());
    }
}
