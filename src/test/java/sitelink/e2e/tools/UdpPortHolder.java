package sitelink.e2e.tools;

import java.net.DatagramSocket;

/** {@code UdpPortHolder PORT}: binds UDP PORT on every address, says "holding PORT", and keeps it until killed. */
public final class UdpPortHolder {
    public static void main(String[] args) throws Exception {
        try (DatagramSocket s = new DatagramSocket(Integer.parseInt(args[0]))) {
            System.out.println("holding " + s.getLocalPort());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
