package sitelink.e2e.tools;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Runs inside a namespace: connects to ADDRESS PORT, sends BYTES pseudo-random bytes (at most BYTES_PER_SECOND when
 * that is not 0), hashes them, and prints "sent BYTES sha256 HEX".
 */
public final class TcpSource {
    public static void main(String[] args) throws Exception {
        long bytes = Long.parseLong(args[2]);
        long rate = Long.parseLong(args[3]);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(System.nanoTime());
        byte[] buf = new byte[1 << 16];
        long start = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 30_000);
            OutputStream out = s.getOutputStream();
            long sent = 0;
            while (sent < bytes) {
                int n = (int) Math.min(buf.length, bytes - sent);
                for (int i = 0; i < n; i += 8) {
                    long r = random.nextLong();
                    for (int j = 0; j < 8 && i + j < n; j++) buf[i + j] = (byte) (r >>> (8 * j));
                }
                out.write(buf, 0, n);
                sha.update(buf, 0, n);
                sent += n;
                if (rate > 0) {
                    long due = start + sent * 1_000_000_000L / rate;
                    long early = due - System.nanoTime();
                    if (early > 0) Thread.sleep(early / 1_000_000, (int) (early % 1_000_000));
                }
            }
            s.shutdownOutput();
            System.out.println("sent " + sent + " sha256 " + HexFormat.of().formatHex(sha.digest()));
        }
    }
}
