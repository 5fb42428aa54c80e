package sitelink.os.process;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The process DaemonTest detaches: "ok" serves a one-line UAPI get, "fail" reports an error, "hang" never gets ready. */
public final class DaemonTestChild {
    public static void main(String[] args) throws Exception {
        if (!"1".equals(System.getenv(Daemon.FOREGROUND_ENV))) {
            System.err.println("not marked as the foreground child");
            System.exit(4);
        }
        switch (args[0]) {
            case "fail" -> {
                System.err.println("cannot create interface sl0: need root / CAP_NET_ADMIN (EPERM)");
                System.exit(3);
            }
            case "hang" -> Thread.sleep(60_000);
            default -> {
                Path sock = Path.of(args[1]);
                try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    server.bind(UnixDomainSocketAddress.of(sock));
                    long until = System.nanoTime() + 60_000_000_000L;
                    while (System.nanoTime() < until) {
                        try (SocketChannel c = server.accept()) {
                            c.read(ByteBuffer.allocate(64));
                            c.write(ByteBuffer.wrap("errno=0\n\n".getBytes(StandardCharsets.US_ASCII)));
                        }
                    }
                }
            }
        }
    }
}
