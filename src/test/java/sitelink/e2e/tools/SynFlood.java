package sitelink.e2e.tools;

import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;

/**
 * Runs inside a host's namespace: sends COUNT TCP SYNs from FROM_ADDRESS to ADDRESS PORT at RATE per second, each from
 * the next source port (1024 up, wrapping at 65535), as a port scan or a SYN flood from an allowed host would. Each is
 * a non-blocking connect closed at once: the kernel sends the SYN and, closing a socket that is still opening, sends
 * nothing more (no RST), so whether the open stays unanswered is up to the far side. Prints "progress N" every 1000
 * SYNs and "sent N in MS ms" at the end.
 */
public final class SynFlood {
    public static void main(String[] args) throws Exception {
        String from = args[0];
        InetSocketAddress to = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        int count = Integer.parseInt(args[3]);
        int rate = Integer.parseInt(args[4]);
        long start = System.nanoTime();
        for (int sent = 0; sent < count; ) {
            try (SocketChannel c = SocketChannel.open()) {
                c.configureBlocking(false);
                c.bind(new InetSocketAddress(from, 1024 + sent % (65536 - 1024)));
                c.connect(to);
            }
            sent++;
            if (sent % 1000 == 0) {
                System.out.println("progress " + sent);
                System.out.flush();
            }
            long early = start + sent * 1_000_000_000L / rate - System.nanoTime();
            if (early > 200_000) {
                Thread.sleep(early / 1_000_000, (int) (early % 1_000_000));
            }
        }
        System.out.println("sent " + count + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }
}
