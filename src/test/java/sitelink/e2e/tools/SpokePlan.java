package sitelink.e2e.tools;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;

/**
 * The address and key plan of a hub with many simulated spokes, shared by the hub's site file (written by the test or
 * the benchmark) and the {@link SpokeSimulator} (run in its own namespace): spoke {@code i} (0-based) serves
 * 198.19.(i / 4).((i % 4) * 64)/26, its host is the subnet's first address, and its private key is derived from a
 * seed and {@code i}, so that both sides compute the same keys without passing 1,000 of them around. Up to 1,024
 * spokes (198.19.0.0/16 in /26s).
 */
public final class SpokePlan {
    public static final int MAX_SPOKES = 1024;

    private SpokePlan() {}

    /** The spoke's name in the hub's site file. */
    public static String name(int i) {
        return String.format("spoke-%04d", i + 1);
    }

    /** The spoke's subnet, the remote subnet the hub routes to it. */
    public static String subnet(int i) {
        check(i);
        return "198.19." + (i / 4) + "." + (i % 4) * 64 + "/26";
    }

    /** The spoke's host: the address its echo requests come from. */
    public static byte[] host(int i) {
        check(i);
        return new byte[] {(byte) 198, 19, (byte) (i / 4), (byte) ((i % 4) * 64 + 1)};
    }

    /** A test key, not a secret: SHA-256 of the seed and the index (X25519 clamps any 32 bytes into a private key). */
    public static Key privateKey(long seed, int i) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] k = sha.digest(("sitelink-spoke-" + seed + "-" + i).getBytes(StandardCharsets.US_ASCII));
            X25519.clamp(k);
            return Key.of(k);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Key publicKey(long seed, int i) {
        return X25519.publicKey(privateKey(seed, i));
    }

    private static void check(int i) {
        if (i < 0 || i >= MAX_SPOKES) {
            throw new IllegalArgumentException("spoke " + i + " is outside the plan (0.." + (MAX_SPOKES - 1) + ")");
        }
    }
}
