package sitelink.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import sitelink.os.socket.TcpStream;

/**
 * Sends events as RFC 5424 syslog messages to one collector: a datagram each over UDP (RFC 5426), or octet-counted
 * frames over TCP (RFC 6587 section 3.4.1). Facility daemon.
 * <p>
 * Over TCP a restarted collector leaves us a dead connection that still takes writes: the kernel accepts them and the
 * collector's side answers with a reset once the data is already gone. So before a write the sender checks that the
 * collector has not closed the connection (its FIN is here), and after it waits until the collector's TCP has
 * acknowledged the frame; when either fails it connects again and sends the frame once more. An event is lost only when
 * the second connection fails too (the sender then reports it), and sent twice only when an acknowledgement took longer
 * than {@link #TIMEOUT}.
 */
public final class SyslogSender implements AutoCloseable {
    /** RFC 5424 section 6.2.1: facility 3 is "system daemons". */
    private static final int FACILITY_DAEMON = 3;
    /** SD-ID with the documentation enterprise number of RFC 5612, until sitelink has its own. */
    static final String SD_ID = "sitelink@32473";
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** For connecting, and for the collector's acknowledgement of a frame. */
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final URI collector;
    private final InetSocketAddress address;
    private final String hostname;
    private final long pid;
    private DatagramSocket udp;
    private TcpStream tcp;

    public SyslogSender(URI collector) {
        this(collector, hostname(), ProcessHandle.current().pid());
    }

    /** With the HOSTNAME and PROCID fields given, so tests can expect exact bytes. */
    SyslogSender(URI collector, String hostname, long pid) {
        this.collector = collector;
        this.address = new InetSocketAddress(collector.getHost(), collector.getPort() < 0 ? 514 : collector.getPort());
        this.hostname = hostname;
        this.pid = pid;
    }

    /** The whole RFC 5424 message: {@code <PRI>1 TIMESTAMP HOST sitelink PID EVENT [SD] MSG}. */
    String format(TunnelEvent e) {
        int severity = switch (e.kind()) {
            case UP -> 5;           // notice
            case REKEY_FAILED, CERTIFICATE_EXPIRING -> 4; // warning
            case DOWN -> 1;         // alert: the site link needs attention now
        };
        StringBuilder sd = new StringBuilder("[").append(SD_ID);
        e.variables().forEach((k, v) -> sd.append(' ')
                .append(k.substring("SITELINK_".length()).toLowerCase(java.util.Locale.ROOT))
                .append("=\"").append(sdEscape(v)).append('"'));
        sd.append(']');
        return "<" + (FACILITY_DAEMON * 8 + severity) + ">1 " + TIMESTAMP.format(e.at()) + " " + hostname
                 + " sitelink " + pid + " " + e.kind().word + " " + sd + " " + e.message();
    }

    /** RFC 5424 section 6.3.3: '"', '\' and ']' are escaped in PARAM-VALUE. */
    private static String sdEscape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("]", "\\]");
    }

    public synchronized void send(TunnelEvent e) throws IOException {
        byte[] msg = format(e).getBytes(StandardCharsets.UTF_8);
        if ("tcp".equals(collector.getScheme())) {
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            frame.writeBytes((msg.length + " ").getBytes(StandardCharsets.US_ASCII));
            frame.writeBytes(msg);
            for (int attempt = 0; attempt < 2; attempt++) {
                try {
                    if (tcp != null && tcp.peerClosed()) {
                        closeTcp();
                    }
                    if (tcp == null) {
                        tcp = TcpStream.connect(address, TIMEOUT);
                    }
                    tcp.write(frame.toByteArray(), TIMEOUT);
                    tcp.awaitAcknowledged(TIMEOUT);
                    return;
                } catch (IOException ex) {
                    closeTcp();
                    if (attempt == 1) {
                        throw ex;
                    }
                }
            }
        } else {
            if (udp == null) {
                udp = new DatagramSocket();
            }
            udp.send(new DatagramPacket(msg, msg.length, address));
        }
    }

    private void closeTcp() {
        if (tcp != null) {
            tcp.close();
        }
        tcp = null;
    }

    private static String hostname() {
        try {
            String h = java.net.InetAddress.getLocalHost().getHostName();
            return h.isEmpty() ? "-" : h.replace(' ', '_');
        } catch (IOException e) {
            return "-";
        }
    }

    @Override
    public synchronized void close() {
        closeTcp();
        if (udp != null) {
            udp.close();
        }
    }
}
