package sitelink.os.socket;

import java.io.IOException;

/**
 * The UDP side of a device's data path, as the device uses it: batches of datagrams in and out through
 * {@link UdpSocket.Batch}. {@link UdpSocket} is the kernel's; tests wire two devices in memory.
 */
public interface UdpIo extends AutoCloseable {
    /** Opens a socket on a port (0: any free one) with a fwmark (0: none). */
    interface Opener {
        UdpIo open(int port, int fwmark) throws IOException;

        /** The kernel's sockets. */
        Opener KERNEL = UdpSocket::open;
    }

    int port();

    void setMark(int mark) throws IOException;

    /** Turns on UDP GSO/GRO; false if refused (both then stay off). */
    boolean enableOffloads();

    /** Blocks for the first datagram, takes what else is queued; returns the count, or -1 once closed. */
    int receive(UdpSocket.Batch batch) throws IOException;

    /** Sends and empties the batch; returns how many datagrams left. */
    int send(UdpSocket.Batch batch);

    /** Wakes a blocked receiver; idempotent. */
    @Override
    void close();
}
