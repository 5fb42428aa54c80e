package sitelink.os.tun;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * The TUN side of a device's data path, as the device uses it: batch reads, single writes, and (with offloads)
 * writes that carry their own virtio_net_hdr. {@link Tun} is the kernel's; tests wire two devices in memory.
 */
public interface TunIo extends AutoCloseable {
    String name();

    /** True if reads start with a virtio_net_hdr and {@link #writeWithHeader} is allowed (offloads on). */
    boolean hasVnetHeader();

    /**
     * Blocks for the first packet, then takes what else is queued (at most {@code max}): packet {@code i} at
     * {@code buf[i * stride...]}, its length in {@code lens[i]}. Returns the count; throws once closed.
     */
    int read(MemorySegment buf, int stride, int[] lens, int max) throws IOException;

    /** Writes one IP packet towards the LAN. */
    void write(byte[] buf, int off, int len) throws IOException;

    /** Writes a packet that starts with a virtio_net_hdr (a GSO super-segment). */
    void writeWithHeader(byte[] buf, int off, int len) throws IOException;

    /** Wakes a blocked reader; idempotent. */
    @Override
    void close();
}
