package sitelink.pqpsk;

import java.util.Arrays;
import java.util.Optional;

/**
 * The three messages of the post-quantum preshared-key exchange (docs/post-quantum.md), as UDP payloads inside the
 * WireGuard tunnel. A 16-byte header, then the body:
 * <pre>
 *   "SLPQ" | version 1 | type | flags | 0 | epoch (8, big-endian)
 *   INIT      header | ML-KEM-768 encapsulation key (1184)          initiator → responder
 *   RESPONSE  header | ML-KEM-768 ciphertext (1088) | confirm (32)  responder → initiator
 *   ACK       header | confirm (32)                                 initiator → responder
 * </pre>
 * {@link #parse} is total: anything else (other lengths, versions, flags) is empty.
 */
public record PqMessage(int type, boolean reset, long epoch, byte[] body) {
    public static final int INIT = 1, RESPONSE = 2, ACK = 3;
    /** Flag of an INIT that starts the chain again from the configured preshared key (a restart, or after fail-closed). */
    static final int FLAG_RESET = 1;
    static final int VERSION = 1;
    public static final int HEADER = 16;
    public static final int KEY = 1184, CIPHERTEXT = 1088, CONFIRM = 32;
    private static final byte[] MAGIC = {'S', 'L', 'P', 'Q'};

    public static int bodyLength(int type) {
        return switch (type) {
            case INIT -> KEY;
            case RESPONSE -> CIPHERTEXT + CONFIRM;
            case ACK -> CONFIRM;
            default -> -1;
        };
    }

    /** The message as sent. */
    public byte[] encode() {
        byte[] m = new byte[HEADER + body.length];
        System.arraycopy(MAGIC, 0, m, 0, 4);
        m[4] = VERSION;
        m[5] = (byte) type;
        m[6] = (byte) (reset ? FLAG_RESET : 0);
        for (int i = 0; i < 8; i++) {
            m[8 + i] = (byte) (epoch >>> (56 - 8 * i));
        }
        System.arraycopy(body, 0, m, HEADER, body.length);
        return m;
    }

    public static Optional<PqMessage> parse(byte[] m) {
        if (m.length < HEADER || !Arrays.equals(m, 0, 4, MAGIC, 0, 4) || m[4] != VERSION || m[7] != 0) {
            return Optional.empty();
        }
        int type = m[5];
        int flags = m[6] & 0xff;
        if (bodyLength(type) != m.length - HEADER || (flags & ~FLAG_RESET) != 0 || (flags != 0 && type != INIT)) {
            return Optional.empty();
        }
        long epoch = 0;
        for (int i = 0; i < 8; i++) {
            epoch = epoch << 8 | (m[8 + i] & 0xff);
        }
        if (epoch <= 0) {
            return Optional.empty();
        }
        return Optional.of(new PqMessage(type, flags != 0, epoch, Arrays.copyOfRange(m, HEADER, m.length)));
    }
}
