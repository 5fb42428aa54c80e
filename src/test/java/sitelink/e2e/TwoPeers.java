package sitelink.e2e;

import java.util.Optional;
import sitelink.testbed.Namespace;
import sitelink.testbed.PointToPoint;

/**
 * The "two peers" topology: the test bed's {@link PointToPoint} (namespaces A and B joined by a veth, outer addresses
 * 198.18.0.1/24 and 198.18.0.2/24), a WireGuard device in each, configured as each other's only peer, tunnel addresses 198.19.0.1/24 and 198.19.0.2/24.
 * A always knows B's endpoint; B knows A's only with {@link Endpoints#BOTH} (otherwise B is a pure responder that
 * learns where A is from A's handshake).
 */
public final class TwoPeers implements AutoCloseable {
    public static final String A_OUTER = PointToPoint.A_OUTER;
    public static final String B_OUTER = PointToPoint.B_OUTER;
    public static final String A_TUNNEL = "198.19.0.1";
    public static final String B_TUNNEL = "198.19.0.2";
    public static final int PORT = 51820;
    public static final String VETH_A = PointToPoint.VETH_A;
    public static final String VETH_B = PointToPoint.VETH_B;

    public enum Endpoints { BOTH, A_INITIATES }

    private final PointToPoint link;
    private WireGuardNode a;
    private WireGuardNode b;

    private TwoPeers(PointToPoint link) {
        this.link = link;
    }

    public static TwoPeers start(WireGuardNode.Kind kindA, WireGuardNode.Kind kindB, Endpoints endpoints) {
        TwoPeers peers = new TwoPeers(PointToPoint.create(E2e.testbed()));
        try {
            peers.startNodes(kindA, kindB, endpoints);
            return peers;
        } catch (RuntimeException | Error e) {
            peers.close();
            throw e;
        }
    }

    private void startNodes(WireGuardNode.Kind kindA, WireGuardNode.Kind kindB, Endpoints endpoints) {
        a = kindA.create().apply(link.a(), E2e.uniqueName("sla"));
        b = kindB.create().apply(link.b(), E2e.uniqueName("slb"));
        a.start();
        b.start();
        a.configure(PORT, b, B_TUNNEL + "/32", Optional.of(B_OUTER + ":" + PORT), A_TUNNEL + "/24");
        b.configure(PORT, a, A_TUNNEL + "/32",
                endpoints == Endpoints.BOTH ? Optional.of(A_OUTER + ":" + PORT) : Optional.empty(), B_TUNNEL + "/24");
    }

    public Namespace nsA() {
        return link.a();
    }

    public Namespace nsB() {
        return link.b();
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
            link.close();
        }
    }

    @Override
    public String toString() {
        return "A=" + a + ", B=" + b;
    }
}
