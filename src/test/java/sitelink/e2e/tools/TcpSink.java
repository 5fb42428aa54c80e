package sitelink.e2e.tools;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Runs inside a namespace: accepts one TCP connection on ADDRESS PORT, hashes everything it receives, and prints
 * "listening", "progress BYTES" every 4 MiB and finally "received BYTES sha256 HEX".
 */
public final class TcpSink {
    public static void main(String[] args) throws Exception {
        try (ServerSocket server = new ServerSocket(Integer.parseInt(args[1]), 1, InetAddress.getByName(args[0]))) {
            System.out.println("listening");
            System.out.flush();
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                long accepted = System.nanoTime(); // the transfer's own time: the two JVMs' start-up excluded
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[1 << 16];
                long total = 0;
                long nextReport = 4 << 20;
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                    total += n;
                    if (total >= nextReport) {
                        System.out.println("progress " + total);
                        System.out.flush();
                        nextReport += 4 << 20;
                    }
                }
                System.out.println("elapsed_ns " + (System.nanoTime() - accepted));
                System.out.println("received " + total + " sha256 " + HexFormat.of().formatHex(sha.digest()));
            }
        }
    }
}
