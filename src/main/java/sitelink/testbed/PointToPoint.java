package sitelink.testbed;

/**
 * Two namespaces A and B joined by one veth: {@code veth-a} 198.18.0.1/24 in A, {@code veth-b} 198.18.0.2/24 in B.
 * The outer network of two peers; what runs on it (WireGuard devices, gateways) is the caller's.
 */
public final class PointToPoint implements AutoCloseable {
    public static final String A_OUTER = "198.18.0.1";
    public static final String B_OUTER = "198.18.0.2";
    public static final String VETH_A = "veth-a";
    public static final String VETH_B = "veth-b";

    private final Namespace a;
    private final Namespace b;

    private PointToPoint(Namespace a, Namespace b) {
        this.a = a;
        this.b = b;
    }

    /** Creates namespaces "a" and "b" and the link; on failure removes what it made and rethrows. */
    public static PointToPoint create(Testbed bed) {
        Namespace a = bed.namespace("a");
        Namespace b = null;
        try {
            b = bed.namespace("b");
            Veth.link(a, VETH_A, A_OUTER + "/24", b, VETH_B, B_OUTER + "/24");
            return new PointToPoint(a, b);
        } catch (RuntimeException | Error e) {
            if (b != null) {
                b.close();
            }
            a.close();
            throw e;
        }
    }

    public Namespace a() {
        return a;
    }

    public Namespace b() {
        return b;
    }

    /** Ends the processes of both namespaces by PID, then deletes them (B first). */
    @Override
    public void close() {
        try {
            b.close();
        } finally {
            a.close();
        }
    }
}
