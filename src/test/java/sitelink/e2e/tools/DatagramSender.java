package sitelink.e2e.tools;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Runs inside a namespace: sends each file in DIR (sorted by name) as one UDP datagram to ADDRESS PORT. */
public final class DatagramSender {
    public static void main(String[] args) throws Exception {
        InetSocketAddress to = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of(args[2]))) {
            files = s.sorted().toList();
        }
        try (DatagramSocket socket = new DatagramSocket()) {
            for (Path f : files) {
                byte[] data = Files.readAllBytes(f);
                socket.send(new DatagramPacket(data, data.length, to));
            }
        }
        System.out.println("sent " + files.size() + " datagrams");
    }
}
