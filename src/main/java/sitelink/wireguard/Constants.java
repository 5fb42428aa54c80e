package sitelink.wireguard;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The protocol's constants, named as the WireGuard whitepaper names them (section 6.1 for timers and limits,
 * section 5.4 for the construction strings and message formats). Times come both as {@link Duration} and as
 * nanoseconds for the sans-IO core, which works on {@link Clock#nanoTime()}.
 */
public final class Constants {
    private Constants() {
    }

    public static final String CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
    public static final String IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com";
    public static final String LABEL_MAC1 = "mac1----";
    public static final String LABEL_COOKIE = "cookie--";

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** 2^60: after this many messages a key's sender initiates a new handshake. */
    public static final long REKEY_AFTER_MESSAGES = 1L << 60;
    /**
     * 2^64 - 2^13 - 1: a key never sends nor accepts a counter at or above this. The value does not fit a signed
     * long, so this holds its 64-bit two's-complement pattern (0xFFFFFFFFFFFFDFFF, which reads as -8193 signed);
     * compare counters against it only with {@link Long#compareUnsigned}, as wireguard-go does with uint64.
     * Use {@link #reachedRejectAfterMessages(long)}.
     */
    public static final long REJECT_AFTER_MESSAGES = 0xFFFFFFFFFFFFDFFFL;

    /** Whether a (unsigned 64-bit) counter is at or past {@link #REJECT_AFTER_MESSAGES}. */
    public static boolean reachedRejectAfterMessages(long counter) {
        return Long.compareUnsigned(counter, REJECT_AFTER_MESSAGES) >= 0;
    }

    public static final Duration REKEY_AFTER_TIME = Duration.ofSeconds(120);
    public static final Duration REJECT_AFTER_TIME = Duration.ofSeconds(180);
    public static final Duration REKEY_ATTEMPT_TIME = Duration.ofSeconds(90);
    public static final Duration REKEY_TIMEOUT = Duration.ofSeconds(5);
    /** Retransmissions of an initiation are jittered by up to this much (whitepaper section 6.1). */
    public static final Duration REKEY_TIMEOUT_JITTER_MAX = Duration.ofMillis(333);
    public static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration COOKIE_REFRESH_TIME = Duration.ofSeconds(120);
    /** A responder accepts at most one initiation per peer per this interval (1/50 s, wireguard-go). */
    public static final Duration HANDSHAKE_INITIATION_RATE = Duration.ofMillis(20);
    /**
     * A sender stops using a cookie this much before the responder's secret would expire, to allow for
     * network latency (the kernel's COOKIE_SECRET_LATENCY).
     */
    public static final Duration COOKIE_SECRET_LATENCY = Duration.ofSeconds(5);

    public static final long REKEY_AFTER_TIME_NANOS = REKEY_AFTER_TIME.toNanos();
    public static final long REJECT_AFTER_TIME_NANOS = REJECT_AFTER_TIME.toNanos();
    public static final long REKEY_ATTEMPT_TIME_NANOS = REKEY_ATTEMPT_TIME.toNanos();
    public static final long REKEY_TIMEOUT_NANOS = REKEY_TIMEOUT.toNanos();
    public static final long KEEPALIVE_TIMEOUT_NANOS = KEEPALIVE_TIMEOUT.toNanos();
    public static final long COOKIE_REFRESH_TIME_NANOS = COOKIE_REFRESH_TIME.toNanos();
    public static final long HANDSHAKE_INITIATION_RATE_NANOS = HANDSHAKE_INITIATION_RATE.toNanos();

    /**
     * How many retransmissions the retransmit timer sends before it gives up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT = 18.
     * As in wireguard-go and the kernel, the count is compared with {@code >}, so 1 first initiation + 19 retries are
     * sent and the 20th expiry gives up (about 100 s, not 90 s, after the first initiation).
     */
    public static final int MAX_TIMER_HANDSHAKES = (int) (REKEY_ATTEMPT_TIME_NANOS / REKEY_TIMEOUT_NANOS);
    /** Keys and half-done handshakes are destroyed this long after the last session was derived. */
    public static final long ZERO_KEY_MATERIAL_AFTER_NANOS = REJECT_AFTER_TIME_NANOS * 3;
    /** wireguard-go draws the jitter as {@code rand.Int31n(RekeyTimeoutJitterMaxMs)} with this bound: 0..333 ms. */
    public static final int REKEY_TIMEOUT_JITTER_BOUND_MS = (int) REKEY_TIMEOUT_JITTER_MAX.toMillis() + 1;
    public static final int MAX_PERSISTENT_KEEPALIVE_SECONDS = 65535;

    public static final byte MESSAGE_INITIATION = 1;
    public static final byte MESSAGE_RESPONSE = 2;
    public static final byte MESSAGE_COOKIE_REPLY = 3;
    public static final byte MESSAGE_TRANSPORT = 4;

    public static final int MESSAGE_INITIATION_SIZE = 148;
    public static final int MESSAGE_RESPONSE_SIZE = 92;
    public static final int MESSAGE_COOKIE_REPLY_SIZE = 64;
    /** Header (16) plus tag (16): the size of a keepalive, the smallest transport message. */
    public static final int MESSAGE_TRANSPORT_MIN_SIZE = 32;
    public static final int MESSAGE_TRANSPORT_HEADER_SIZE = 16;
    /** Transport plaintexts are zero-padded to a multiple of this (whitepaper section 5.4.6). */
    public static final int PADDING_MULTIPLE = 16;
}
