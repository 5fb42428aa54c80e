package sitelink.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sitelink.packet.Packets.*;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sitelink.packet.Checksum;
import sitelink.packet.IcmpErrors;
import sitelink.packet.MssClamp;
import sitelink.packet.PacketView;
import sitelink.packet.TokenBucket;

/**
 * Random and mutated packets (bit flips, truncations, length fields that lie, deep extension-header chains) through
 * the parser, the MSS clamp, the ICMP error builder and the policy: nothing may throw, and whatever the parser calls
 * valid must lie inside the bytes it was given.
 */
class MalformedPacketsTest {
    static final byte[] A4 = addr("198.18.1.5");
    static final byte[] B4 = addr("198.18.2.10");
    static final byte[] A6 = addr("2001:db8:1::5");
    static final byte[] B6 = addr("2001:db8:2::10");

    static List<byte[]> seeds() {
        byte[] chain = new byte[0];
        for (int i = 0; i < 7; i++) {
            chain = concat(chain, ext(i == 6 ? 44 : 60, 1 + i % 3));
        }
        return List.of(
                ipv4(A4, B4, 6, 0x4000, tcp(A4, B4, 40000, 443, PacketView.SYN, linuxSynOptions(1460), new byte[0])),
                ipv4(A4, B4, 17, 0, udp(A4, B4, 5000, 53, new byte[30])),
                ipv4(A4, B4, 1, 0, icmp(A4, B4, 8, 0, 0x00010001, new byte[16])),
                ipv4(B4, A4, 1, 0, icmp(B4, A4, 3, 4, 1280, Arrays.copyOf(ipv4(A4, B4, 6, 0x4000,
                        tcp(A4, B4, 40000, 443, PacketView.ACK, new byte[0], new byte[0])), 28))),
                ipv4(A4, B4, 6, 0x4000, tcp(A4, B4, 1, 2, PacketView.ACK, new byte[0], new byte[1600])),
                ipv6(A6, B6, 6, new byte[0], tcp(A6, B6, 40000, 22, PacketView.SYN | PacketView.ACK,
                        linuxSynOptions(1440), new byte[0])),
                ipv6(A6, B6, 0, concat(ext(60, 1), ext(44, 2), fragmentHeader(17, 0, true)),
                        udp(A6, B6, 1, 53, new byte[20])),
                ipv6(A6, B6, 60, chain, concat(fragmentHeader(6, 0, false),
                        tcp(A6, B6, 3, 4, PacketView.SYN, linuxSynOptions(9000), new byte[0]))),
                ipv6(A6, B6, 58, new byte[0], icmp(A6, B6, 128, 0, 0x00050001, new byte[1500])));
    }

    @Test
    void noExceptionAndNothingOutsideTheBuffer() {
        SplittableRandom r = new SplittableRandom(0x5eed);
        List<byte[]> seeds = seeds();
        PacketView v = new PacketView();
        PacketView check = new PacketView();
        MssClamp clamp = new MssClamp(1420);
        IcmpErrors errors = new IcmpErrors(1280, new TokenBucket(1e9, 1_000_000));
        Policy policy = new Policy("fuzz", Rules.parseAll("""
                allow to tcp port 443,22
                allow both udp 198.18.0.0/15
                allow both icmp
                allow from any 2001:db8:1::/48
                """), Policy.Limits.DEFAULT.withMaxConnections(256), line -> { });
        byte[] out = new byte[IcmpErrors.MAX_ERROR_LENGTH];
        int valid = 0;
        int total = 200_000;
        for (int n = 0; n < total; n++) {
            byte[] p = mutate(r, seeds.get(r.nextInt(seeds.size())).clone());
            int off = r.nextInt(4);
            int len = Math.max(0, p.length - r.nextInt(3));
            byte[] buf = new byte[off + p.length + 8];
            System.arraycopy(p, 0, buf, off, p.length);
            byte[] before = buf.clone();
            if (v.parse(buf, off, len)) {
                valid++;
                assertInside(v, off, len);
                // a clamp may change only the MSS value and the TCP checksum, and keeps the checksum right
                int sumBefore = Checksum.verifyTransport(v);
                if (clamp.clamp(v)) {
                    assertEquals(PacketView.TCP, v.protocol());
                    assertEquals(sumBefore, Checksum.verifyTransport(v), "clamp kept the checksum's verdict");
                    assertTrue(check.parse(buf, off, len));
                    assertEquals(v.l4Offset(), check.l4Offset());
                    int changed = 0;
                    for (int i = 0; i < buf.length; i++) {
                        changed += buf[i] != before[i] ? 1 : 0;
                        if (buf[i] != before[i]) {
                            assertTrue(i >= v.l4Offset() + 16 && i < v.l4Offset() + v.tcpHeaderLength());
                        }
                    }
                    assertTrue(changed <= 4);
                }
                int e = errors.tooBig(v, v.version() == 4 ? A4 : A6, out, 0, n);
                if (e > 0) {
                    assertTrue(check.parse(out, 0, e), "the error we build parses");
                    assertTrue(check.isIcmpError());
                    assertTrue(e <= (v.version() == 4 ? 576 : 1280));
                }
            } else {
                assertArrayEquals(before, buf);
                assertEquals(-1, v.icmpType());
            }
            Verdict verdict = policy.check(r.nextBoolean() ? Direction.TO_REMOTE : Direction.FROM_REMOTE, v, n * 1000L);
            assertEquals(!v.valid(), verdict == Verdict.DROP_MALFORMED);
        }
        assertTrue(valid > total / 10 && valid < total, "both kinds were exercised: " + valid + " valid");
    }

    private static void assertInside(PacketView v, int off, int len) {
        int end = off + len;
        assertTrue(v.totalLength() <= len && v.totalLength() >= 20);
        assertTrue(v.ipHeaderLength() >= 20 && v.ipHeaderLength() <= v.totalLength());
        assertEquals(off + v.ipHeaderLength(), v.l4Offset());
        assertEquals(off + v.totalLength(), v.l4Offset() + v.l4Length());
        assertTrue(v.destinationOffset() + v.addressLength() <= end);
        if (v.hasTransport()) {
            assertTrue(v.isFirstFragment());
            assertTrue(v.l4Length() >= 8);
            if (v.protocol() == PacketView.TCP) {
                assertTrue(v.tcpHeaderLength() >= 20 && v.tcpHeaderLength() <= v.l4Length());
            }
        }
    }

    private static byte[] mutate(SplittableRandom r, byte[] p) {
        switch (r.nextInt(6)) {
            case 0 -> { // bit flips
                for (int i = r.nextInt(1, 4); i > 0; i--) {
                    int at = r.nextInt(p.length);
                    p[at] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> p = Arrays.copyOf(p, r.nextInt(p.length + 1)); // truncation
            case 2 -> { // a length field that lies: IPv4 total, IPv6 payload, IHL, TCP data offset, extension length
                int at = switch (r.nextInt(4)) {
                    case 0 -> 2;
                    case 1 -> 4;
                    case 2 -> 0;
                    default -> Math.min(p.length - 1, 32 + r.nextInt(40));
                };
                p[at] = (byte) r.nextInt(256);
            }
            case 3 -> { // random bytes after a plausible first byte
                r.nextBytes(p);
                p[0] = (byte) (r.nextBoolean() ? 0x45 : 0x60);
            }
            case 4 -> { // random next-header values through an IPv6 chain
                if (p.length > 48 && (p[0] & 0xf0) == 0x60) {
                    p[6] = (byte) new int[] {0, 43, 44, 50, 51, 59, 60, 6, 17, 58}[r.nextInt(10)];
                    p[41] = (byte) r.nextInt(256);
                }
            }
            default -> { // leave intact
            }
        }
        return p;
    }
}
