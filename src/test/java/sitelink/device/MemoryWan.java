package sitelink.device;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import sitelink.os.socket.UdpIo;
import sitelink.os.socket.UdpSocket;

/**
 * A WAN in memory: each gateway's sockets live on its own address; a datagram sent to an address and port that a
 * socket holds arrives there with the sender's address and port as its source, anything else is lost.
 */
final class MemoryWan {
    private final Map<InetSocketAddress, Socket> sockets = new ConcurrentHashMap<>();

    private record Datagram(InetSocketAddress source, byte[] data) {
    }

    /** The socket opener of a gateway at {@code host}: port 0 picks 51820, then upwards. */
    UdpIo.Opener host(InetAddress host) {
        return (port, fwmark) -> {
            int p = port;
            if (p == 0) {
                p = 51820;
                while (sockets.containsKey(new InetSocketAddress(host, p))) {
                    p++;
                }
            }
            InetSocketAddress at = new InetSocketAddress(host, p);
            Socket s = new Socket(at);
            if (sockets.putIfAbsent(at, s) != null) {
                throw new IOException("address in use: " + at);
            }
            return s;
        };
    }

    /** Delivers a datagram to whichever socket holds {@code to} (a test's forged or replayed datagram). */
    void inject(InetSocketAddress from, InetSocketAddress to, byte[] data) {
        Socket s = sockets.get(to);
        if (s != null) {
            s.queue.add(new Datagram(from, data.clone()));
        }
    }

    private final class Socket implements UdpIo {
        private final InetSocketAddress address;
        private final BlockingQueue<Datagram> queue = new LinkedBlockingQueue<>();
        private final byte[] buf = new byte[UdpSocket.MAX_DATAGRAM];
        private volatile boolean closed;

        Socket(InetSocketAddress address) {
            this.address = address;
        }

        @Override
        public int port() {
            return address.getPort();
        }

        @Override
        public void setMark(int mark) {
        }

        @Override
        public boolean enableOffloads() {
            return false;
        }

        @Override
        public int receive(UdpSocket.Batch batch) {
            batch.clear();
            try {
                Datagram d = null;
                while (d == null) {
                    if (closed) {
                        return -1;
                    }
                    d = queue.poll(10, TimeUnit.MILLISECONDS);
                }
                for (; d != null; d = batch.isFull() ? null : queue.poll()) {
                    batch.received(d.source(), d.data(), 0, d.data().length);
                }
                return batch.count();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        @Override
        public synchronized int send(UdpSocket.Batch batch) {
            int n = batch.count();
            for (int i = 0; i < n; i++) {
                int len = batch.copyQueued(i, buf);
                byte[] data = java.util.Arrays.copyOf(buf, len);
                Socket to = sockets.get(batch.destination(i));
                if (to != null && !closed) {
                    to.queue.add(new Datagram(address, data));
                }
            }
            batch.clear();
            return n;
        }

        @Override
        public void close() {
            closed = true;
            sockets.remove(address, this);
        }
    }
}
