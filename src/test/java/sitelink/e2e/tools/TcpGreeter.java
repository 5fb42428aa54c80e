package sitelink.e2e.tools;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs inside a namespace: listens on every ADDRESS:PORT given, answers each connection with the line
 * "hello from ADDRESS PORT" and closes it, so a client knows which service it reached. Prints "listening" once every
 * socket is bound; runs until killed.
 */
public final class TcpGreeter {
    public static void main(String[] args) throws Exception {
        List<ServerSocket> servers = new ArrayList<>();
        for (String a : args) {
            int colon = a.lastIndexOf(':');
            servers.add(new ServerSocket(Integer.parseInt(a.substring(colon + 1)), 50,
                    InetAddress.getByName(a.substring(0, colon))));
        }
        System.out.println("listening");
        System.out.flush();
        List<Thread> threads = new ArrayList<>();
        for (ServerSocket server : servers) {
            byte[] greeting = ("hello from " + server.getInetAddress().getHostAddress() + " " + server.getLocalPort()
                    + "\n").getBytes(StandardCharsets.US_ASCII);
            threads.add(Thread.ofVirtual().start(() -> {
                while (true) {
                    try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                        out.write(greeting);
                    } catch (IOException e) {
                        System.out.println("accept failed: " + e);
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
    }
}
