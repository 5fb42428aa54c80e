package sitelink.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;

class ResultsTest {
    private static final InetSocketAddress TO = new InetSocketAddress(InetAddress.getLoopbackAddress(), 51820);
    private static final Remote SITE = new Remote() {
        @Override
        public Key id() {
            return Key.zero();
        }

        @Override
        public Optional<InetSocketAddress> endpoint() {
            return Optional.of(TO);
        }
    };

    @Test
    void keepsEveryDatagramAndPacketOfOneCallInOrder() {
        Results r = new Results(16);
        byte[][] datagrams = new byte[130][]; // a flush of 128 staged packets and more
        for (int i = 0; i < datagrams.length; i++) {
            datagrams[i] = new byte[] {(byte) i};
            r.send(TO, null, datagrams[i], 0, 1);
        }
        for (int i = 0; i < 5; i++) {
            r.deliver(SITE, r.buffer(), i, 16 - i);
        }
        assertEquals(130, r.sends());
        for (int i = 0; i < datagrams.length; i++) {
            assertSame(datagrams[i], r.sendBuffer(i), "datagram " + i);
            assertEquals(TO, r.sendTo(i));
        }
        assertEquals(5, r.delivers());
        assertEquals(3, r.deliverOffset(3));
        assertEquals(13, r.deliverLength(3));
        assertSame(SITE, r.deliverFrom(4));
    }

    @Test
    void clearForgetsTheLastCallSoTheNextStartsEmpty() {
        Results r = new Results(16);
        r.send(TO, InetAddress.getLoopbackAddress(), new byte[4], 0, 4);
        r.deliver(SITE, r.buffer(), 0, 4);
        r.drop(Drop.REPLAY);
        r.clear();
        assertEquals(0, r.sends());
        assertEquals(0, r.delivers());
        assertNull(r.dropped());
        r.send(TO, null, new byte[2], 0, 2);
        assertEquals(1, r.sends());
        assertEquals(2, r.sendLength(0));
    }
}
