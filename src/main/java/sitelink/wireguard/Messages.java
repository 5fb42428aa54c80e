package sitelink.wireguard;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Offsets, little-endian field access and a total classifier for the four WireGuard messages
 * (whitepaper section 5.4). Every message starts with a type byte and three reserved zero bytes.
 */
public final class Messages {
    private Messages() {
    }

    /** What {@link #classify} returns for anything that is not exactly one of the four messages. */
    public static final int INVALID = 0;

    public static final int TYPE = 0;
    /** Sender index: initiation and response. */
    public static final int SENDER = 4;

    public static final int INITIATION_EPHEMERAL = 8;
    public static final int INITIATION_STATIC = 40;
    public static final int INITIATION_TIMESTAMP = 88;
    public static final int INITIATION_MAC1 = 116;
    public static final int INITIATION_MAC2 = 132;

    public static final int RESPONSE_RECEIVER = 8;
    public static final int RESPONSE_EPHEMERAL = 12;
    public static final int RESPONSE_EMPTY = 44;
    public static final int RESPONSE_MAC1 = 60;
    public static final int RESPONSE_MAC2 = 76;

    public static final int COOKIE_RECEIVER = 4;
    public static final int COOKIE_NONCE = 8;
    public static final int COOKIE_ENCRYPTED = 32;

    public static final int TRANSPORT_RECEIVER = 4;
    public static final int TRANSPORT_COUNTER = 8;
    public static final int TRANSPORT_DATA = 16;

    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** The message type (1..4) of buf[0, len), or {@link #INVALID}. */
    public static int classify(byte[] buf, int len) {
        return classify(buf, 0, len);
    }

    /**
     * The message type of buf[off, off+len): the type byte and three zero reserved bytes must be there and the
     * length must be exact (148, 92, 64), or at least 32 for transport data. Anything else is {@link #INVALID},
     * so callers can switch on the result without further length checks.
     */
    public static int classify(byte[] buf, int off, int len) {
        if (len < 4 || off < 0 || off + len > buf.length) {
            return INVALID;
        }
        if (buf[off + 1] != 0 || buf[off + 2] != 0 || buf[off + 3] != 0) {
            return INVALID;
        }
        int type = buf[off];
        return switch (type) {
            case Constants.MESSAGE_INITIATION -> len == Constants.MESSAGE_INITIATION_SIZE ? type : INVALID;
            case Constants.MESSAGE_RESPONSE -> len == Constants.MESSAGE_RESPONSE_SIZE ? type : INVALID;
            case Constants.MESSAGE_COOKIE_REPLY -> len == Constants.MESSAGE_COOKIE_REPLY_SIZE ? type : INVALID;
            case Constants.MESSAGE_TRANSPORT -> len >= Constants.MESSAGE_TRANSPORT_MIN_SIZE ? type : INVALID;
            default -> INVALID;
        };
    }

    /** Writes the type byte and the three reserved zeros. */
    public static void putHeader(byte[] buf, int off, byte type) {
        buf[off] = type;
        buf[off + 1] = 0;
        buf[off + 2] = 0;
        buf[off + 3] = 0;
    }

    /** Sender index of an initiation or response at buf[off...]. */
    public static int senderIndex(byte[] buf, int off) {
        return getInt(buf, off + SENDER);
    }

    /** Receiver index of a response, cookie reply or transport message at buf[off...] (by its type byte). */
    public static int receiverIndex(byte[] buf, int off) {
        return getInt(buf, off + (buf[off] == Constants.MESSAGE_RESPONSE ? RESPONSE_RECEIVER : COOKIE_RECEIVER));
    }

    /** Counter of a transport message at buf[off...]: an unsigned 64-bit value in a long. */
    public static long counter(byte[] buf, int off) {
        return getLong(buf, off + TRANSPORT_COUNTER);
    }

    public static int getInt(byte[] buf, int off) {
        return (int) INT_LE.get(buf, off);
    }

    public static void putInt(byte[] buf, int off, int v) {
        INT_LE.set(buf, off, v);
    }

    public static long getLong(byte[] buf, int off) {
        return (long) LONG_LE.get(buf, off);
    }

    public static void putLong(byte[] buf, int off, long v) {
        LONG_LE.set(buf, off, v);
    }
}
