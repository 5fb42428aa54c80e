package sitelink.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MessagesTest {
    private static byte[] message(int type, int len) {
        byte[] b = new byte[len];
        b[0] = (byte) type;
        return b;
    }

    @Test
    void classifiesTheFourMessagesByTypeAndExactLength() {
        assertEquals(1, Messages.classify(message(1, 148), 148));
        assertEquals(2, Messages.classify(message(2, 92), 92));
        assertEquals(3, Messages.classify(message(3, 64), 64));
        assertEquals(4, Messages.classify(message(4, 32), 32));
        assertEquals(4, Messages.classify(message(4, 1500), 1500));
    }

    @Test
    void anythingElseIsInvalid() {
        assertEquals(Messages.INVALID, Messages.classify(message(1, 149), 149));
        assertEquals(Messages.INVALID, Messages.classify(message(1, 148), 147));
        assertEquals(Messages.INVALID, Messages.classify(message(2, 93), 93));
        assertEquals(Messages.INVALID, Messages.classify(message(3, 65), 65));
        assertEquals(Messages.INVALID, Messages.classify(message(4, 31), 31));
        assertEquals(Messages.INVALID, Messages.classify(message(5, 64), 64));
        assertEquals(Messages.INVALID, Messages.classify(message(0, 64), 64));
        assertEquals(Messages.INVALID, Messages.classify(new byte[2], 2));
        assertEquals(Messages.INVALID, Messages.classify(message(4, 40), 41), "len beyond the buffer");
        for (int i = 1; i < 4; i++) {
            byte[] b = message(4, 32);
            b[i] = 1;
            assertEquals(Messages.INVALID, Messages.classify(b, 32), "reserved byte " + i);
        }
    }

    @Test
    void classifiesAtAnOffset() {
        byte[] b = new byte[10 + 92];
        b[10] = 2;
        assertEquals(2, Messages.classify(b, 10, 92));
    }

    @Test
    void readsIndicesAndCounterLittleEndian() {
        byte[] t = message(4, 32);
        Messages.putInt(t, Messages.TRANSPORT_RECEIVER, 0x04030201);
        Messages.putLong(t, Messages.TRANSPORT_COUNTER, 0xF807060504030201L);
        assertEquals(1, t[4]);
        assertEquals(1, t[8]);
        assertEquals((byte) 0xF8, t[15]);
        assertEquals(0x04030201, Messages.receiverIndex(t, 0));
        assertEquals(0xF807060504030201L, Messages.counter(t, 0));

        byte[] r = message(2, 92);
        Messages.putInt(r, Messages.SENDER, 7);
        Messages.putInt(r, Messages.RESPONSE_RECEIVER, 9);
        assertEquals(7, Messages.senderIndex(r, 0));
        assertEquals(9, Messages.receiverIndex(r, 0));
    }
}
