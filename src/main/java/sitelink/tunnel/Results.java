package sitelink.tunnel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * What a {@link Tunnel} decided about one input, written into a buffer its caller owns and reuses (one per thread):
 * the datagrams to send, the packets to deliver, and whether the input itself was dropped, and why. boringtun's
 * {@code TunnResult} as a list, since one input may yield several (the response that completes a handshake sends the
 * packets staged behind it; a tick fires the timers of every peer).
 *
 * <p>No allocation in steady state: the slots grow only when a call yields more than any call before it, and
 * datagrams and packets are referenced, not copied. What a call wrote stays valid until the caller's next call with
 * the same results; the usual place for it is {@link #buffer()}, which the tunnel seals and opens into.
 */
public final class Results {
    private final byte[] buffer;
    private int sends;
    private byte[][] sendBuf = new byte[4][];
    private int[] sendOff = new int[4];
    private int[] sendLen = new int[4];
    private InetSocketAddress[] sendTo = new InetSocketAddress[4];
    private InetAddress[] sendFrom = new InetAddress[4];
    private int[] sendSocket = new int[4];
    private int[] sendTos = new int[4];
    /** The outer TOS for the data datagram of the packet being sealed (set by the device before the seal). */
    private int outerTos;
    private int delivers;
    private byte[][] deliverBuf = new byte[2][];
    private int[] deliverOff = new int[2];
    private int[] deliverLen = new int[2];
    private Remote[] deliverFrom = new Remote[2];
    private Drop drop;

    /** Results whose {@link #buffer()} holds {@code bufferSize} bytes: the largest datagram or packet a call makes. */
    public Results(int bufferSize) {
        buffer = new byte[bufferSize];
    }

    /** The space a tunnel seals a datagram or opens a packet into (the caller's, reused by every call). */
    public byte[] buffer() {
        return buffer;
    }

    /** Forgets what the last call yielded (the references too: nothing is kept alive between calls). */
    public Results clear() {
        if (sends > 0) {
            Arrays.fill(sendBuf, 0, sends, null);
            Arrays.fill(sendTo, 0, sends, null);
            Arrays.fill(sendFrom, 0, sends, null);
            sends = 0;
        }
        if (delivers > 0) {
            Arrays.fill(deliverBuf, 0, delivers, null);
            Arrays.fill(deliverFrom, 0, delivers, null);
            delivers = 0;
        }
        drop = null;
        outerTos = 0;
        return this;
    }

    /**
     * The outer header's TOS / traffic class byte (DSCP and ECN) for the datagram that carries the packet about to
     * be sealed: the device reads it from the inner packet ({@link sitelink.packet.OuterTos}); {@link #clear()}
     * resets it to 0. Only {@link #sendSealed} uses it: handshake messages leave with 0.
     */
    public Results outerTos(int tos) {
        outerTos = tos;
        return this;
    }

    /** The sealed packet's datagram: as {@link #send(int, InetSocketAddress, InetAddress, byte[], int, int)}, with {@link #outerTos}. */
    public void sendSealed(int socket, InetSocketAddress to, InetAddress from, byte[] buf, int off, int len) {
        send(socket, to, from, buf, off, len);
        sendTos[sends - 1] = outerTos;
    }

    /** Send buf[off, off+len) to {@code to} from the local address {@code from} (null: the kernel picks). */
    public void send(InetSocketAddress to, InetAddress from, byte[] buf, int off, int len) {
        send(0, to, from, buf, off, len);
    }

    /**
     * Send buf[off, off+len) from the tunnel's socket {@code socket} (its index in the tunnel's list: IKE's 500 or
     * 4500) to {@code to}, from the local address {@code from} (null: the kernel picks).
     */
    public void send(int socket, InetSocketAddress to, InetAddress from, byte[] buf, int off, int len) {
        if (sends == sendBuf.length) {
            int n = sends * 2;
            sendBuf = Arrays.copyOf(sendBuf, n);
            sendOff = Arrays.copyOf(sendOff, n);
            sendLen = Arrays.copyOf(sendLen, n);
            sendTo = Arrays.copyOf(sendTo, n);
            sendFrom = Arrays.copyOf(sendFrom, n);
            sendSocket = Arrays.copyOf(sendSocket, n);
            sendTos = Arrays.copyOf(sendTos, n);
        }
        sendTos[sends] = 0;
        sendSocket[sends] = socket;
        sendBuf[sends] = buf;
        sendOff[sends] = off;
        sendLen[sends] = len;
        sendTo[sends] = to;
        sendFrom[sends] = from;
        sends++;
    }

    /**
     * Deliver the packet buf[off, off+len) that {@code from} sent, once the caller checked its source against that
     * site's subnets. It may be followed by padding: its length is its IP header's.
     */
    public void deliver(Remote from, byte[] buf, int off, int len) {
        if (delivers == deliverBuf.length) {
            int n = delivers * 2;
            deliverBuf = Arrays.copyOf(deliverBuf, n);
            deliverOff = Arrays.copyOf(deliverOff, n);
            deliverLen = Arrays.copyOf(deliverLen, n);
            deliverFrom = Arrays.copyOf(deliverFrom, n);
        }
        deliverBuf[delivers] = buf;
        deliverOff[delivers] = off;
        deliverLen[delivers] = len;
        deliverFrom[delivers] = from;
        delivers++;
    }

    /** The input was dropped for {@code reason}: the tunnel has counted it already; this is for the caller to see. */
    public void drop(Drop reason) {
        drop = reason;
    }

    public int sends() {
        return sends;
    }

    public byte[] sendBuffer(int i) {
        return sendBuf[i];
    }

    public int sendOffset(int i) {
        return sendOff[i];
    }

    public int sendLength(int i) {
        return sendLen[i];
    }

    public InetSocketAddress sendTo(int i) {
        return sendTo[i];
    }

    /** The tunnel's socket datagram {@code i} leaves from (0 for a tunnel with one socket). */
    public int sendSocket(int i) {
        return sendSocket[i];
    }

    /** The outer TOS / traffic class byte of datagram {@code i} (0: the socket's default). */
    public int sendTos(int i) {
        return sendTos[i];
    }

    /** The local address datagram {@code i} leaves from, or null where the kernel picks. */
    public InetAddress sendFrom(int i) {
        return sendFrom[i];
    }

    public int delivers() {
        return delivers;
    }

    public byte[] deliverBuffer(int i) {
        return deliverBuf[i];
    }

    public int deliverOffset(int i) {
        return deliverOff[i];
    }

    public int deliverLength(int i) {
        return deliverLen[i];
    }

    public Remote deliverFrom(int i) {
        return deliverFrom[i];
    }

    /** Why the input was dropped, or null if it was not. */
    public Drop dropped() {
        return drop;
    }
}
