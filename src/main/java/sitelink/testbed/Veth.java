package sitelink.testbed;

/**
 * Virtual ethernet pairs, each end born in its namespace ({@code ip -n A link add ... peer ... netns B}), so no
 * interface ever exists in the root namespace.
 */
public final class Veth {
    private Veth() {
    }

    /** A pair {@code ifA} (in {@code a}) ↔ {@code ifB} (in {@code b}), both down and without addresses. */
    public static void create(Namespace a, String ifA, Namespace b, String ifB) {
        a.ip("link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", b.name());
    }

    /** A pair between two namespaces with an address on each end ({@code "198.18.0.1/24"}), both up. */
    public static void link(Namespace a, String ifA, String cidrA, Namespace b, String ifB, String cidrB) {
        create(a, ifA, b, ifB);
        a.address(ifA, cidrA);
        b.address(ifB, cidrB);
    }

    /**
     * A pair with both ends inside one namespace, down: an interface that leads nowhere, to give addresses and routes
     * to (this kernel has no dummy interfaces).
     */
    public static void inside(Namespace ns, String ifA, String ifB) {
        ns.ip("link", "add", ifA, "type", "veth", "peer", "name", ifB);
    }
}
