package sitelink.e2e;

import java.util.Optional;

/**
 * The "two peers" topology: namespaces A and B joined by a veth (outer addresses 198.18.0.1/24 and 198.18.0.2/24),
 * a WireGuard device in each, configured as each other's only peer, tunnel addresses 198.19.0.1/24 and 198.19.0.2/24.
 * A always knows B's endpoint; B knows A's only with {@link Endpoints#BOTH} (otherwise B is a pure responder that
 * learns where A is from A's handshake).
 */
public final class TwoPeers implements AutoCloseable {
    public static final String A_OUTER = "198.18.0.1";
    public static final String B_OUTER = "198.18.0.2";
    public static final String A_TUNNEL = "198.19.0.1";
    public static final String B_TUNNEL = "198.19.0.2";
    public static final int PORT = 51820;
    public static final String VETH_A = "veth-a";
    public static final String VETH_B = "veth-b";

    public enum Endpoints { BOTH, A_INITIATES }

    private final Netns nsA;
    private final Netns nsB;
    private WireGuardNode a;
    private WireGuardNode b;

    private TwoPeers(Netns nsA, Netns nsB) {
        this.nsA = nsA;
        this.nsB = nsB;
    }

    public static TwoPeers start(WireGuardNode.Kind kindA, WireGuardNode.Kind kindB, Endpoints endpoints) {
        Netns nsA = Netns.create("a");
        TwoPeers peers;
        try {
            peers = new TwoPeers(nsA, Netns.create("b"));
        } catch (RuntimeException | Error e) {
            nsA.close();
            throw e;
        }
        try {
            peers.build(kindA, kindB, endpoints);
            return peers;
        } catch (RuntimeException | Error e) {
            peers.close();
            throw e;
        }
    }

    private void build(WireGuardNode.Kind kindA, WireGuardNode.Kind kindB, Endpoints endpoints) {
        nsA.ip("link", "add", VETH_A, "type", "veth", "peer", "name", VETH_B, "netns", nsB.name());
        nsA.ip("addr", "add", A_OUTER + "/24", "dev", VETH_A);
        nsB.ip("addr", "add", B_OUTER + "/24", "dev", VETH_B);
        nsA.ip("link", "set", VETH_A, "up");
        nsB.ip("link", "set", VETH_B, "up");
        a = kindA.create().apply(nsA, E2e.uniqueName("sla"));
        b = kindB.create().apply(nsB, E2e.uniqueName("slb"));
        a.start();
        b.start();
        a.configure(PORT, b, B_TUNNEL + "/32", Optional.of(B_OUTER + ":" + PORT), A_TUNNEL + "/24");
        b.configure(PORT, a, A_TUNNEL + "/32",
                endpoints == Endpoints.BOTH ? Optional.of(A_OUTER + ":" + PORT) : Optional.empty(), B_TUNNEL + "/24");
    }

    public Netns nsA() {
        return nsA;
    }

    public Netns nsB() {
        return nsB;
    }

    public WireGuardNode a() {
        return a;
    }

    public WireGuardNode b() {
        return b;
    }

    /** Ends the devices by PID, then deletes both namespaces (and the veth and tunnel interfaces with them). */
    @Override
    public void close() {
        try {
            if (a != null) a.close();
            if (b != null) b.close();
        } finally {
            try {
                nsB.close();
            } finally {
                nsA.close();
            }
        }
    }

    @Override
    public String toString() {
        return "A=" + a + ", B=" + b;
    }
}
