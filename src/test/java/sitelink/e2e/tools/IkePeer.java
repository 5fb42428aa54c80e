package sitelink.e2e.tools;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.file.Path;
import java.nio.channels.Selector;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import sitelink.esp.EspCipher;
import sitelink.esp.EspSa;
import sitelink.ike.ChildSa;
import sitelink.ike.Ike;
import sitelink.ike.IkeAction;
import sitelink.ike.IkeCertificates;
import sitelink.ike.IkeConfig;
import sitelink.ike.IkeSession;
import sitelink.pki.PemFiles;
import sitelink.tunnel.Clock;

/**
 * Our IKEv2 engine on real UDP sockets (500 and 4500), run inside a namespace against a real peer:
 * {@code IkePeer LOCAL REMOTE AUTH initiate|respond LOCAL_SUBNET REMOTE_SUBNET IKE_PROPOSAL ESP_PROPOSAL SECONDS [PING_FROM PING_TO
 * [CHILD_LIFETIME [IKE_LIFETIME]]]} (lifetimes in seconds, our rekey timers; 1 h and 4 h unless given),
 * where AUTH is the PSK, or {@code cert:CERT,KEY,CA[,CRL]:LOCAL_ID:REMOTE_ID} (PEM files) for certificates.
 * IKE_PROPOSAL and ESP_PROPOSAL are proposal strings or {@code default} for sitelink's defaults; IKE_PROPOSAL prefixed
 * {@code pq:MODE:} (MODE {@code required}, {@code preferred} or {@code off}) applies a site's {@code post_quantum}
 * setting to both, as the site file does. ESTABLISHED lines end with {@code ke=} and the key exchange
 * ({@code hybrid (curve25519 + mlkem768)} or {@code classical only (...)}), after a HANDSHAKE line with the time from
 * the first IKE datagram to ESTABLISHED and the IKE bytes each way (UDP payloads).
 * Prints one line per event (ESTABLISHED, INSTALLED, FAILED, DROPPED, ESP_REPLY) and keeps answering (liveness checks)
 * until SECONDS pass. With PING_FROM and PING_TO, once the CHILD SA is installed it sends an ICMP echo from PING_FROM to
 * PING_TO through ESP-in-UDP every 200 ms until 3 replies came back (then the link idles, so the peer's liveness checks
 * run) and prints {@code ESP_REPLY} for each echo reply it opens.
 */
public final class IkePeer {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("--site")) {
            site(args);
            return;
        }
        InetAddress local = InetAddress.getByName(args[0]), remote = InetAddress.getByName(args[1]);
        boolean initiate = args[3].equals("initiate");
        String ikeSpec = args[6];
        sitelink.ike.PostQuantum pq = null;
        if (ikeSpec.startsWith("pq:")) {
            pq = sitelink.ike.PostQuantum.parse(ikeSpec.split(":")[1]).orElseThrow();
            ikeSpec = ikeSpec.substring(ikeSpec.indexOf(':', 3) + 1);
        }
        IkeConfig.Builder builder = new IkeConfig.Builder(new InetSocketAddress(local, Ike.IKE_PORT), new InetSocketAddress(remote, Ike.IKE_PORT))
                .ike(ikeSpec.equals("default") ? sitelink.ike.Proposals.DEFAULT_IKE.get(0) : ikeSpec)
                .esp(args[7].equals("default") ? sitelink.ike.Proposals.DEFAULT_ESP.get(0) : args[7])
                .selectors(List.of(args[4]), List.of(args[5]));
        if (pq != null) {
            builder.postQuantum(pq);
        }
        if (args[2].startsWith("cert:")) {
            String[] spec = args[2].split(":"), files = spec[1].split(",");
            List<java.security.cert.X509CRL> crls = new java.util.ArrayList<>();
            if (files.length > 3) {
                crls.addAll(PemFiles.read(Path.of(files[3])).crls());
            }
            builder.certificates(new IkeCertificates(PemFiles.read(Path.of(files[0])).certificates(), PemFiles.privateKey(Path.of(files[1])),
                    List.of(PemFiles.certificate(Path.of(files[2]))), crls)).ids(spec[2], spec[3]);
        } else {
            builder.psk(args[2].getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        if (args.length > 11) {
            builder.lifetimes(java.time.Duration.ofSeconds(args.length > 12 ? Long.parseLong(args[12]) : IkeConfig.IKE_LIFETIME.toSeconds()),
                    java.time.Duration.ofSeconds(Long.parseLong(args[11])));
        }
        run(builder.build(), local, initiate, Long.parseLong(args[8]),
                args.length > 10 ? InetAddress.getByName(args[9]) : null, args.length > 10 ? InetAddress.getByName(args[10]) : null);
    }

    /**
     * {@code IkePeer --site FILE REMOTE_SITE LOCAL initiate|respond SECONDS [PING_FROM PING_TO]}: the session configured
     * from a site file's IKEv2 remote site as the gateway will (SiteConfig.ikeConfig), from LOCAL to the site's endpoint.
     */
    private static void site(String[] args) throws Exception {
        sitelink.config.SiteConfig site = sitelink.config.SiteFile.load(Path.of(args[1])).orThrow();
        sitelink.config.IkeSite remote = site.ikeSite(args[2]).orElseThrow();
        InetAddress local = InetAddress.getByName(args[3]);
        IkeConfig config = site.ikeConfig(remote, new InetSocketAddress(local, Ike.IKE_PORT), remote.endpoint().orElseThrow().resolve());
        run(config, local, args[4].equals("initiate"), Long.parseLong(args[5]),
                args.length > 7 ? InetAddress.getByName(args[6]) : null, args.length > 7 ? InetAddress.getByName(args[7]) : null);
    }

    private static void run(IkeConfig config, InetAddress local, boolean initiate, long seconds, InetAddress pingFrom,
                            InetAddress pingTo) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Selector selector = Selector.open();
        DatagramChannel ike = DatagramChannel.open().bind(new InetSocketAddress(local, Ike.IKE_PORT));
        DatagramChannel natt = DatagramChannel.open().bind(new InetSocketAddress(local, Ike.NAT_T_PORT));
        for (DatagramChannel c : List.of(ike, natt)) {
            c.configureBlocking(false);
            c.register(selector, SelectionKey.OP_READ, c);
        }
        IkeSession session = new IkeSession(config, Clock.SYSTEM, new SecureRandom());
        System.out.println("listening on " + local + " ports 500 and 4500 as " + (initiate ? "initiator" : "responder"));
        System.out.flush();
        State st = new State();
        if (initiate) {
            apply(session.initiate(), ike, natt, st);
        }
        ByteBuffer buf = ByteBuffer.allocate(65536);
        byte[] plain = new byte[65536], wire = new byte[2048];
        long nextPing = 0;
        int pingSeq = 0;
        while (System.nanoTime() < end) {
            selector.select(100);
            for (SelectionKey key : selector.selectedKeys()) {
                DatagramChannel c = (DatagramChannel) key.attachment();
                InetSocketAddress from;
                while ((from = (InetSocketAddress) c.receive(buf.clear())) != null) {
                    int len = buf.position();
                    byte[] d = Arrays.copyOf(buf.array(), len);
                    int port = c == ike ? Ike.IKE_PORT : Ike.NAT_T_PORT;
                    boolean esp = port == Ike.NAT_T_PORT && len > 4 && !(d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 0);
                    if (esp) {
                        if (st.esp == null) {
                            continue;
                        }
                        int n = st.esp.open(d, 0, len, plain, 0);
                        if (n < 0) {
                            System.out.println("ESP_DROP " + sitelink.esp.EspDrop.of(n));
                        } else if (n >= 28 && (plain[9] & 0xff) == 1 && (plain[20] & 0xff) == 0) {
                            st.replies++;
                            System.out.println("ESP_REPLY from " + InetAddress.getByAddress(Arrays.copyOfRange(plain, 12, 16)).getHostAddress()
                                    + " seq " + (((plain[26] & 0xff) << 8) | (plain[27] & 0xff)));
                        } else {
                            System.out.println("ESP_PACKET " + n + " bytes");
                        }
                        System.out.flush();
                        continue;
                    }
                    if (st.started == 0) {
                        st.started = System.nanoTime();
                    }
                    st.ikeBytesIn += len;
                    apply(session.receive(from, port, d, 0, len), ike, natt, st);
                }
            }
            selector.selectedKeys().clear();
            apply(session.tick(), ike, natt, st);
            if (pingTo != null && st.esp != null && st.replies < 3 && System.nanoTime() - nextPing > 0) {
                nextPing = System.nanoTime() + 200_000_000L;
                byte[] echo = icmpEcho(pingFrom, pingTo, ++pingSeq);
                int n = st.esp.seal(echo, 0, echo.length, EspSa.NEXT_HEADER_IPV4, wire, 0);
                natt.send(ByteBuffer.wrap(wire, 0, n), st.child.remote());
            }
        }
        System.out.println("done, IKE SA " + session.state());
    }

    private static final class State {
        EspSa esp;
        ChildSa child;
        int replies;
        /** When the handshake began (our first datagram out, or the peer's first in), and the IKE bytes each way. */
        long started, ikeBytesOut, ikeBytesIn;
    }

    private static void apply(List<IkeAction> actions, DatagramChannel ike, DatagramChannel natt, State st) throws Exception {
        for (IkeAction a : actions) {
            switch (a) {
                case IkeAction.Send s -> {
                    if (st.started == 0) {
                        st.started = System.nanoTime();
                    }
                    st.ikeBytesOut += s.datagram().length;
                    (s.localPort() == Ike.NAT_T_PORT ? natt : ike).send(ByteBuffer.wrap(s.datagram()), s.to());
                }
                case IkeAction.Established e -> {
                    long ms = (System.nanoTime() - st.started) / 1_000_000; // from our first IKE_SA_INIT datagram (or the peer's)
                    System.out.println("HANDSHAKE " + ms + " ms, " + st.ikeBytesOut + " bytes sent, " + st.ikeBytesIn + " bytes received (UDP payloads)");
                    System.out.println("ESTABLISHED " + e.proposal() + " nat_t=" + e.natTraversal() + " ke=" + e.keyExchange());
                }
                case IkeAction.ChildSaInstalled c -> {
                    st.child = c.child();
                    st.replies = 0; // a new CHILD SA (first or rekeyed): ping through it again
                    st.esp = new EspSa(EspCipher.of(c.child().encr().id(), c.child().integ()),
                            c.child().inboundSpi(), c.child().outboundSpi(), c.child().inboundKeymat(), c.child().outboundKeymat(),
                            new java.security.SecureRandom());
                    System.out.println("INSTALLED " + c.child() + " to " + c.child().remote());
                }
                case IkeAction.IkeSaRekeyed r -> System.out.println(String.format("IKE_REKEYED %016x_i %016x_r %s", r.spiI(), r.spiR(), r.proposal()));
                case IkeAction.ChildSaReady r -> System.out.println("CHILD_READY " + Integer.toHexString(r.inboundSpi()));
                case IkeAction.ChildSaDeleted d -> System.out.println("CHILD_DELETED " + Integer.toHexString(d.inboundSpi()));
                case IkeAction.Failed f -> System.out.println("FAILED " + f.reason() + ": " + f.detail());
                case IkeAction.Closed c -> System.out.println("CLOSED " + c.why());
                case IkeAction.Dropped d -> System.out.println("DROPPED " + d.reason());
            }
            System.out.flush();
        }
    }

    /** An IPv4 ICMP echo request with checksums (the tool's own tiny packet, not the data path's). */
    private static byte[] icmpEcho(InetAddress from, InetAddress to, int seq) {
        byte[] p = new byte[28 + 32];
        p[0] = 0x45;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 1;
        System.arraycopy(from.getAddress(), 0, p, 12, 4);
        System.arraycopy(to.getAddress(), 0, p, 16, 4);
        int c = sitelink.packet.Checksum.of(p, 0, 20);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
        p[20] = 8;
        p[24] = 0x12;
        p[25] = 0x34;
        p[26] = (byte) (seq >>> 8);
        p[27] = (byte) seq;
        c = sitelink.packet.Checksum.of(p, 20, p.length - 20);
        p[22] = (byte) (c >>> 8);
        p[23] = (byte) c;
        return p;
    }
}
