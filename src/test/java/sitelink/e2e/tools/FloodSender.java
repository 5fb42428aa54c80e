package sitelink.e2e.tools;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs inside an attacker's namespace: sends the datagrams in DIR round-robin to ADDRESS PORT at RATE per second for
 * SECONDS, each from the next of the SOURCES (comma-separated local addresses, each with its own ephemeral port), as a
 * botnet or a spoofing attacker would. Prints "sent N" at the end.
 */
public final class FloodSender {
    public static void main(String[] args) throws Exception {
        InetSocketAddress to = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        List<ByteBuffer> datagrams = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of(args[2]))) {
            for (Path f : s.sorted().toList()) datagrams.add(ByteBuffer.wrap(Files.readAllBytes(f)));
        }
        int rate = Integer.parseInt(args[3]);
        long seconds = Long.parseLong(args[4]);
        List<DatagramChannel> sockets = new ArrayList<>();
        for (String source : args[5].split(",")) {
            sockets.add(DatagramChannel.open().bind(new InetSocketAddress(source, 0)));
        }
        System.out.println("flooding " + to + " from " + sockets.size() + " sources at " + rate + "/s");
        System.out.flush();
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        long sent = 0;
        while (System.nanoTime() < end) {
            DatagramChannel socket = sockets.get((int) (sent % sockets.size()));
            try {
                socket.send(datagrams.get((int) (sent % datagrams.size())).duplicate(), to);
            } catch (java.io.IOException e) {
                // ICMP port unreachable from an earlier datagram surfaces here: an attacker does not care.
            }
            sent++;
            long due = start + sent * 1_000_000_000L / rate;
            long early = due - System.nanoTime();
            if (early > 200_000) Thread.sleep(early / 1_000_000, (int) (early % 1_000_000));
        }
        System.out.println("sent " + sent);
    }
}
