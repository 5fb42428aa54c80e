package sitelink.crypto;

import java.time.Instant;
import java.util.Arrays;

/**
 * TAI64N timestamps as WireGuard sends them in a handshake initiation (whitepaper section 5.4.2): 8 bytes
 * big-endian seconds label (2^62 + 10 + Unix seconds, the TAI64 epoch and TAI-UTC offset wireguard-go and the
 * kernel use) followed by 4 bytes big-endian nanoseconds. Like wireguard-go, the nanoseconds are rounded down
 * to a multiple of 2^24 ns (about 16.8 ms), so the timestamp does not leak a precise clock reading to an
 * eavesdropper who later compromises a static key; this is still finer than the 20 ms initiation rate limit.
 * Compared as unsigned big-endian byte strings, later timestamps are greater.
 */
public final class Tai64n {
    public static final int LENGTH = 12;
    private static final long BASE = 0x400000000000000aL;
    private static final int WHITENER_MASK = 0x1000000 - 1;

    private Tai64n() {
    }

    public static byte[] of(Instant t) {
        long secs = BASE + t.getEpochSecond();
        int nanos = t.getNano() & ~WHITENER_MASK;
        byte[] out = new byte[LENGTH];
        for (int i = 0; i < 8; i++) {
            out[i] = (byte) (secs >>> (56 - 8 * i));
        }
        for (int i = 0; i < 4; i++) {
            out[8 + i] = (byte) (nanos >>> (24 - 8 * i));
        }
        return out;
    }

    /** Negative, zero or positive as a is earlier than, equal to or later than b. */
    public static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, 0, LENGTH, b, 0, LENGTH);
    }

    public static boolean isAfter(byte[] a, byte[] b) {
        return compare(a, b) > 0;
    }
}
