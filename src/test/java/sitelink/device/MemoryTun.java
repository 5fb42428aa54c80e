package sitelink.device;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import sitelink.os.tun.TunIo;

/** A TUN in memory: the test puts packets "from the LAN" in, and takes the packets the device wrote out. */
final class MemoryTun implements TunIo {
    private final String name;
    private final BlockingQueue<byte[]> fromLan = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> toLan = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    MemoryTun(String name) {
        this.name = name;
    }

    /** A packet a LAN host sends into the tunnel. */
    void fromLan(byte[] packet) {
        fromLan.add(packet.clone());
    }

    /** The next packet the device wrote towards the LAN, waiting at most 5 s; null if none came. */
    byte[] nextToLan() throws InterruptedException {
        return toLan.poll(5, TimeUnit.SECONDS);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean hasVnetHeader() {
        return false;
    }

    @Override
    public int read(MemorySegment buf, int stride, int[] lens, int max) throws IOException {
        byte[] first;
        try {
            do {
                if (closed) {
                    throw new IOException(name + " closed");
                }
                first = fromLan.poll(10, TimeUnit.MILLISECONDS);
            } while (first == null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(name + " interrupted");
        }
        int count = 0;
        for (byte[] p = first; p != null && count < max; p = count < max ? fromLan.poll() : null) {
            MemorySegment.copy(p, 0, buf, ValueLayout.JAVA_BYTE, (long) count * stride, p.length);
            lens[count++] = p.length;
        }
        return count;
    }

    @Override
    public void write(byte[] buf, int off, int len) {
        toLan.add(Arrays.copyOfRange(buf, off, off + len));
    }

    @Override
    public void writeWithHeader(byte[] buf, int off, int len) {
        throw new UnsupportedOperationException("no offloads in memory");
    }

    @Override
    public void close() {
        closed = true;
    }
}
