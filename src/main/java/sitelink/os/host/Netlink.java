package sitelink.os.host;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

import static sitelink.os.host.NetlinkMessage.NLMSG_DONE;
import static sitelink.os.host.NetlinkMessage.NLMSG_ERROR;
import static sitelink.os.host.NetlinkMessage.NLM_F_ACK;
import static sitelink.os.host.NetlinkMessage.NLM_F_CREATE;
import static sitelink.os.host.NetlinkMessage.NLM_F_DUMP;
import static sitelink.os.host.NetlinkMessage.NLM_F_EXCL;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import sitelink.os.host.NetlinkMessage.Reply;
import sitelink.os.host.NetlinkMessage.Request;
import sitelink.route.Prefix;

/**
 * Interfaces, addresses and routes through rtnetlink (an AF_NETLINK / NETLINK_ROUTE socket), the same requests
 * {@code ip link}, {@code ip address} and {@code ip route} send. Every change asks for an acknowledgement, so a
 * refusal surfaces here as an {@link ErrnoException} in plain words ("address already assigned"), with the kernel's
 * own explanation appended when it gives one.
 *
 * <p>A netlink socket belongs to the network namespace of the thread that created it: {@link #open()} binds this
 * object to the caller's namespace for good, and later calls act there from whichever thread makes them.
 * Methods are synchronized: one request is in flight at a time.
 */
public final class Netlink implements AutoCloseable {
    private static final int NETLINK_ROUTE = 0, SOL_NETLINK = 270, NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11;
    private static final int RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_DELADDR = 21,
            RTM_GETADDR = 22, RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTM_GETROUTE = 26, RTM_NEWRULE = 32,
            RTM_DELRULE = 33, RTM_GETRULE = 34;
    private static final int IFLA_IFNAME = 3, IFLA_MTU = 4, IFF_UP = 0x1;
    private static final int IFA_ADDRESS = 1, IFA_LOCAL = 2;
    private static final int RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_TABLE = 15;
    private static final int RTM_F_CLONED = 0x200, RTM_F_FIB_MATCH = 0x2000;
    private static final int IFINFOMSG_SIZE = 16, IFADDRMSG_SIZE = 8, RTMSG_SIZE = 12, FIB_RULE_HDR_SIZE = 12;
    /** struct fib_rule_hdr's attributes and the action "look up a table" (linux/fib_rules.h). */
    private static final int FRA_SRC = 2, FRA_PRIORITY = 6, FRA_TABLE = 15, FR_ACT_TO_TBL = 1;
    /** What rtm_table / fib_rule_hdr.table say when the table id is in RTA_TABLE / FRA_TABLE (above 255). */
    private static final int RT_TABLE_COMPAT = 252;

    public static final int RT_TABLE_MAIN = 254, RT_TABLE_LOCAL = 255;
    public static final int RTPROT_KERNEL = 2, RTPROT_BOOT = 3, RTPROT_STATIC = 4;
    public static final int RTN_UNICAST = 1, RTN_LOCAL = 2, RTN_THROW = 9;
    private static final int RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_NOWHERE = 255;

    /** Big enough for the largest dump datagram the kernel builds (it caps them near 32 KiB). */
    private static final int RECEIVE_BUFFER = 64 * 1024;

    /** A network interface as the kernel reports it. */
    public record Link(int index, String name, int mtu, boolean up) {
    }

    /** An address assigned to an interface, with the prefix length of its on-link subnet. */
    public record Address(InetAddress address, int prefixLength) {
        public Prefix prefix() {
            return new Prefix(address, prefixLength);
        }

        @Override
        public String toString() {
            return address.getHostAddress() + "/" + prefixLength;
        }
    }

    /**
     * A route. {@code interfaceIndex} is 0 (and {@code interfaceName} empty) for routes without one device, such
     * as blackhole or multipath routes. {@code table}, {@code protocol} and {@code type} are the kernel's numbers
     * ({@link #RT_TABLE_MAIN}, {@link #RTPROT_STATIC}, {@link #RTN_UNICAST}, ...).
     */
    public record Route(Prefix destination, Optional<InetAddress> gateway, int interfaceIndex,
                        Optional<String> interfaceName, int table, int protocol, int type) {
        @Override
        public String toString() {
            return destination + gateway.map(g -> " via " + g.getHostAddress()).orElse("")
                    + interfaceName.map(n -> " dev " + n).orElse("") + " table " + table + " proto " + protocol;
        }
    }

    /**
     * A policy-routing rule ({@code ip rule}): packets from {@code source} are looked up in {@code table}.
     * {@code priority} is the kernel's order (lower first).
     */
    public record Rule(Prefix source, int table, int priority) {
        @Override
        public String toString() {
            return priority + ": from " + source + " lookup " + table;
        }
    }

    /** What a request was about: decides how an errno reads ("address already assigned" vs "route already exists"). */
    private enum Subject { LINK, ADDRESS, ROUTE, RULE }

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment receive = arena.allocate(RECEIVE_BUFFER);
    private final AtomicBoolean closed = new AtomicBoolean();
    private int sequence = (int) (System.nanoTime() & 0x3fffffff);

    private Netlink(int fd) {
        this.fd = fd;
    }

    /** Opens a route-netlink socket in the calling thread's network namespace. */
    public static Netlink open() throws ErrnoException {
        int fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) {
            throw new ErrnoException("cannot open a netlink socket", -fd);
        }
        // Best effort: short error acks, and the kernel's explanation of a refusal (both since Linux 4.12).
        Libc.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
        Libc.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
        return new Netlink(fd);
    }

    // ---- links ----

    /** The interface called {@code name}, if there is one in this namespace. */
    public synchronized Optional<Link> link(String name) throws ErrnoException {
        Request r = new Request(RTM_GETLINK, NLM_F_ACK).u8(0).u8(0).u16(0).u32(0).u32(0).u32(0)
                .attrString(IFLA_IFNAME, name);
        try {
            return transact(r, Subject.LINK, "look up interface " + name).stream().map(Netlink::parseLink).findFirst();
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENODEV) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The index of interface {@code name}; ENODEV "no such interface" when it does not exist. */
    public int linkIndex(String name) throws ErrnoException {
        return link(name).orElseThrow(() -> new ErrnoException("interface " + name + ": no such interface", Libc.ENODEV))
                .index();
    }

    public boolean linkExists(String name) throws ErrnoException {
        return link(name).isPresent();
    }

    /** Every interface in this namespace, by index. */
    public synchronized Map<Integer, Link> links() throws ErrnoException {
        Request r = new Request(RTM_GETLINK, NLM_F_DUMP).u8(0).u8(0).u16(0).u32(0).u32(0).u32(0);
        Map<Integer, Link> out = new HashMap<>();
        for (Reply m : transact(r, Subject.LINK, "list interfaces")) {
            Link l = parseLink(m);
            out.put(l.index(), l);
        }
        return out;
    }

    /** {@code ip link set NAME up|down}. */
    public void setLinkUp(String name, boolean up) throws ErrnoException {
        int index = linkIndex(name);
        Request r = new Request(RTM_NEWLINK, NLM_F_ACK).u8(0).u8(0).u16(0).u32(index)
                .u32(up ? IFF_UP : 0).u32(IFF_UP);
        synchronized (this) {
            transact(r, Subject.LINK, "set interface " + name + (up ? " up" : " down"));
        }
    }

    /** {@code ip link set NAME mtu MTU}. */
    public void setMtu(String name, int mtu) throws ErrnoException {
        int index = linkIndex(name);
        Request r = new Request(RTM_NEWLINK, NLM_F_ACK).u8(0).u8(0).u16(0).u32(index).u32(0).u32(0)
                .attrU32(IFLA_MTU, mtu);
        synchronized (this) {
            transact(r, Subject.LINK, "set MTU " + mtu + " on " + name);
        }
    }

    // ---- addresses ----

    /** {@code ip address add ADDR/LEN dev NAME}: a plain local address, no peer, no broadcast. */
    public void addAddress(String ifname, InetAddress address, int prefixLength) throws ErrnoException {
        changeAddress(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, "add address", "to", ifname, address, prefixLength);
    }

    /** {@code ip address del ADDR/LEN dev NAME}; EADDRNOTAVAIL "address not assigned" when it is not there. */
    public void deleteAddress(String ifname, InetAddress address, int prefixLength) throws ErrnoException {
        changeAddress(RTM_DELADDR, 0, "delete address", "from", ifname, address, prefixLength);
    }

    private void changeAddress(int type, int flags, String verb, String preposition, String ifname,
                               InetAddress address, int prefixLength) throws ErrnoException {
        String what = verb + " " + address.getHostAddress() + "/" + prefixLength + " " + preposition + " " + ifname;
        checkPrefixLength(address, prefixLength, what);
        int index = indexFor(ifname, what);
        byte[] raw = address.getAddress();
        Request r = new Request(type, NLM_F_ACK | flags).u8(family(address)).u8(prefixLength).u8(0)
                .u8(RT_SCOPE_UNIVERSE).u32(index).attr(IFA_LOCAL, raw).attr(IFA_ADDRESS, raw);
        synchronized (this) {
            transact(r, Subject.ADDRESS, what);
        }
    }

    /** The IPv4 and IPv6 addresses on {@code ifname} (IPv6 link-local ones included). */
    public List<Address> addresses(String ifname) throws ErrnoException {
        String what = "list addresses of " + ifname;
        int index = indexFor(ifname, what);
        Request r = new Request(RTM_GETADDR, NLM_F_DUMP).u8(0).u8(0).u8(0).u8(0).u32(0);
        List<Address> out = new ArrayList<>();
        List<Reply> replies;
        synchronized (this) {
            replies = transact(r, Subject.ADDRESS, what);
        }
        for (Reply m : replies) {
            if (m.body().getInt(4) != index) {
                continue; // the dump ignores the index filter unless strict checking is on
            }
            Map<Integer, ByteBuffer> a = m.attributes(IFADDRMSG_SIZE);
            // IPv4 reports the local address in IFA_LOCAL (IFA_ADDRESS is the peer on point-to-point links);
            // IPv6 sends IFA_LOCAL only when a peer is set.
            ByteBuffer local = a.containsKey(IFA_LOCAL) ? a.get(IFA_LOCAL) : a.get(IFA_ADDRESS);
            if (local != null) {
                out.add(new Address(inet(NetlinkMessage.bytes(local)), m.body().get(1) & 0xff));
            }
        }
        return out;
    }

    // ---- routes ----

    /** {@code ip route add DST dev NAME proto static}: main table, scope link, no gateway. */
    public void addRoute(Prefix destination, String ifname) throws ErrnoException {
        addRoute(destination, ifname, RT_TABLE_MAIN);
    }

    /** {@code ip route add DST dev NAME table TABLE proto static}: scope link, no gateway. */
    public void addRoute(Prefix destination, String ifname, int table) throws ErrnoException {
        changeRoute(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, RT_SCOPE_LINK, RTPROT_STATIC, RTN_UNICAST,
                "add route " + destination + " via " + ifname + tableWords(table), destination, ifname, table);
    }

    /** {@code ip route del DST dev NAME}: the main-table route to exactly DST through NAME, whoever added it. */
    public void deleteRoute(Prefix destination, String ifname) throws ErrnoException {
        deleteRoute(destination, ifname, RT_TABLE_MAIN);
    }

    /** {@code ip route del DST dev NAME table TABLE}. */
    public void deleteRoute(Prefix destination, String ifname, int table) throws ErrnoException {
        // scope "nowhere" and protocol 0 are the kernel's wildcards for a delete
        changeRoute(RTM_DELROUTE, 0, RT_SCOPE_NOWHERE, 0, RTN_UNICAST,
                "delete route " + destination + " via " + ifname + tableWords(table), destination, ifname, table);
    }

    /**
     * {@code ip route add throw DST table TABLE proto static}: a lookup in TABLE that matches DST fails, so the
     * kernel goes on to the next policy rule (the main table), as if TABLE had no route for DST.
     */
    public void addThrowRoute(Prefix destination, int table) throws ErrnoException {
        changeRoute(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, RT_SCOPE_UNIVERSE, RTPROT_STATIC, RTN_THROW,
                "add throw route " + destination + tableWords(table), destination, null, table);
    }

    /** {@code ip route del throw DST table TABLE}. */
    public void deleteThrowRoute(Prefix destination, int table) throws ErrnoException {
        changeRoute(RTM_DELROUTE, 0, RT_SCOPE_NOWHERE, 0, RTN_THROW,
                "delete throw route " + destination + tableWords(table), destination, null, table);
    }

    private static String tableWords(int table) {
        return table == RT_TABLE_MAIN ? "" : " in table " + table;
    }

    /** A route change; {@code ifname} null for a route without a device (throw). */
    private void changeRoute(int type, int flags, int scope, int protocol, int routeType, String what,
                             Prefix destination, String ifname, int table) throws ErrnoException {
        Request r = new Request(type, NLM_F_ACK | flags).u8(family(destination.address()))
                .u8(destination.length()).u8(0).u8(0).u8(table < 256 ? table : RT_TABLE_COMPAT).u8(protocol).u8(scope)
                .u8(routeType).u32(0).attr(RTA_DST, destination.address().getAddress()).attrU32(RTA_TABLE, table);
        if (ifname != null) {
            r.attrU32(RTA_OIF, indexFor(ifname, what));
        }
        synchronized (this) {
            transact(r, Subject.ROUTE, what);
        }
    }

    // ---- policy-routing rules ----

    /**
     * {@code ip rule add from SRC lookup TABLE}: the kernel gives it the priority just below the lowest one in use
     * (32765 on a fresh system, before main's 32766). EEXIST when the same rule is there already: the kernel itself
     * would add a second one at another priority, as {@code ip rule add} run twice does.
     */
    public void addRule(Prefix source, int table) throws ErrnoException {
        String what = "add rule from " + source + " lookup " + table;
        if (rules().stream().anyMatch(r -> r.source().equals(source) && r.table() == table)) {
            throw new ErrnoException(what + ": " + words(Libc.EEXIST, Subject.RULE), Libc.EEXIST);
        }
        changeRule(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, what, source, table);
    }

    /** {@code ip rule del from SRC lookup TABLE}, whatever its priority; ENOENT "no such rule" when none matches. */
    public void deleteRule(Prefix source, int table) throws ErrnoException {
        changeRule(RTM_DELRULE, 0, "delete rule from " + source + " lookup " + table, source, table);
    }

    private void changeRule(int type, int flags, String what, Prefix source, int table) throws ErrnoException {
        Request r = new Request(type, NLM_F_ACK | flags).u8(family(source.address())).u8(0).u8(source.length())
                .u8(0).u8(table < 256 ? table : RT_TABLE_COMPAT).u8(0).u8(0).u8(FR_ACT_TO_TBL).u32(0)
                .attrU32(FRA_TABLE, table);
        if (source.length() > 0) {
            r.attr(FRA_SRC, source.address().getAddress());
        }
        synchronized (this) {
            transact(r, Subject.RULE, what);
        }
    }

    /** The policy-routing rules that look a table up, IPv4 then IPv6 (what {@code ip rule} and {@code ip -6 rule} show). */
    public List<Rule> rules() throws ErrnoException {
        List<Rule> out = new ArrayList<>();
        for (Reply m : dumpBothFamilies(RTM_GETRULE, Subject.RULE, "list rules")) {
            ByteBuffer b = m.body();
            if ((b.get(7) & 0xff) != FR_ACT_TO_TBL) {
                continue;
            }
            Map<Integer, ByteBuffer> a = m.attributes(FIB_RULE_HDR_SIZE);
            byte[] src = a.containsKey(FRA_SRC) ? NetlinkMessage.bytes(a.get(FRA_SRC))
                    : new byte[(b.get(0) & 0xff) == Libc.AF_INET ? 4 : 16];
            int table = a.containsKey(FRA_TABLE) ? a.get(FRA_TABLE).getInt(0) : b.get(4) & 0xff;
            int priority = a.containsKey(FRA_PRIORITY) ? a.get(FRA_PRIORITY).getInt(0) : 0;
            out.add(new Rule(new Prefix(inet(src), b.get(2) & 0xff), table, priority));
        }
        return out;
    }

    /**
     * A dump of routes or rules, IPv4's then IPv6's: rtmsg and fib_rule_hdr are both a family byte, seven more
     * bytes and a u32, all zero in a dump request.
     */
    private List<Reply> dumpBothFamilies(int type, Subject subject, String what) throws ErrnoException {
        List<Reply> out = new ArrayList<>();
        for (int family : new int[] {Libc.AF_INET, Libc.AF_INET6}) {
            Request r = new Request(type, NLM_F_DUMP).u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
            synchronized (this) {
                out.addAll(transact(r, subject, what));
            }
        }
        return out;
    }

    /** The main-table routes, IPv4 then IPv6 (what {@code ip route} and {@code ip -6 route} show). */
    public List<Route> routes() throws ErrnoException {
        return routes(RT_TABLE_MAIN);
    }

    /** The routes of {@code table}, IPv4 then IPv6 ({@code ip route show table TABLE}). */
    public List<Route> routes(int table) throws ErrnoException {
        Map<Integer, Link> links = links();
        List<Route> out = new ArrayList<>();
        for (Reply m : dumpBothFamilies(RTM_GETROUTE, Subject.ROUTE, "list routes")) {
            Route route = parseRoute(m, links);
            boolean cloned = (m.body().getInt(8) & RTM_F_CLONED) != 0;
            if (route.table() == table && !cloned) {
                out.add(route);
            }
        }
        return out;
    }

    /**
     * The route the kernel would choose for a packet to {@code address} ({@code ip route get ADDR fibmatch}):
     * the matching table entry with its own prefix, or empty when the address is unreachable.
     */
    public Optional<Route> routeTo(InetAddress address) throws ErrnoException {
        byte[] raw = address.getAddress();
        Request r = new Request(RTM_GETROUTE, NLM_F_ACK).u8(family(address)).u8(raw.length * 8).u8(0).u8(0)
                .u8(0).u8(0).u8(0).u8(0).u32(RTM_F_FIB_MATCH).attr(RTA_DST, raw);
        List<Reply> replies;
        try {
            synchronized (this) {
                replies = transact(r, Subject.ROUTE, "look up the route to " + address.getHostAddress());
            }
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENETUNREACH || e.errno() == Libc.EHOSTUNREACH) {
                return Optional.empty();
            }
            throw e;
        }
        if (replies.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(parseRoute(replies.getFirst(), links()));
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            synchronized (this) {
                Libc.close(fd);
                arena.close();
            }
        }
    }

    // ---- the exchange ----

    /**
     * Sends one request and collects the kernel's answers to it until the acknowledgement (or NLMSG_DONE for a
     * dump). An error acknowledgement becomes an ErrnoException about {@code what}.
     */
    private List<Reply> transact(Request request, Subject subject, String what) throws ErrnoException {
        if (closed.get()) {
            throw new ErrnoException(what + ": netlink socket is closed", Libc.EBADF);
        }
        int seq = ++sequence;
        byte[] bytes = request.finish(seq);
        long sent;
        try (Arena once = Arena.ofConfined()) {
            MemorySegment out = once.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            do {
                sent = Libc.write(fd, out, bytes.length);
            } while (sent == -Libc.EINTR);
        }
        if (sent < 0) {
            throw new ErrnoException(what + ": cannot send the netlink request", (int) -sent);
        }
        List<Reply> answers = new ArrayList<>();
        while (true) {
            long n = Libc.read(fd, receive, RECEIVE_BUFFER);
            if (n == -Libc.EINTR) {
                continue;
            }
            if (n < 0) {
                throw new ErrnoException(what + ": cannot read the netlink answer", (int) -n);
            }
            // copied out of the receive buffer: the next read overwrites it while we still hold replies
            ByteBuffer datagram = ByteBuffer.wrap(receive.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            for (Reply m : NetlinkMessage.parse(datagram)) {
                if (m.seq() != seq) {
                    continue; // a late answer to an earlier request
                }
                if (m.type() == NLMSG_DONE) {
                    return answers;
                }
                if (m.type() == NLMSG_ERROR) {
                    int error = -m.error();
                    if (error == 0) {
                        return answers;
                    }
                    String words = words(error, subject);
                    // the kernel's explanation, when it adds something to ours ("Nexthop has invalid gateway")
                    String kernel = m.extendedAckMessage()
                            .filter(s -> !s.toLowerCase(java.util.Locale.ROOT).contains(words))
                            .map(s -> "; the kernel says: " + s).orElse("");
                    throw new ErrnoException(what + ": " + words + kernel, error);
                }
                answers.add(m);
            }
        }
    }

    /** An errno in the words of the thing the request was about. */
    private static String words(int errno, Subject subject) {
        return switch (errno) {
            case Libc.EEXIST -> switch (subject) {
                case ADDRESS -> "address already assigned";
                case ROUTE -> "route already exists";
                case LINK -> "already exists";
                case RULE -> "rule already exists";
            };
            case Libc.EADDRNOTAVAIL -> subject == Subject.ADDRESS ? "address not assigned" : "address not available";
            case Libc.ESRCH -> subject == Subject.ROUTE ? "no such route" : "not found";
            case Libc.ENOENT -> subject == Subject.RULE ? "no such rule" : "not found";
            case Libc.ENODEV -> "no such interface";
            case Libc.ENETDOWN -> "interface is down";
            case Libc.ENETUNREACH -> "network unreachable";
            case Libc.EHOSTUNREACH -> "host unreachable";
            case Libc.EPERM, Libc.EACCES -> "not permitted: need root / CAP_NET_ADMIN";
            case Libc.EINVAL -> "invalid request";
            case Libc.ERANGE -> "value out of range";
            case Libc.EAFNOSUPPORT -> "address family not supported (is IPv6 disabled?)";
            case Libc.EOPNOTSUPP -> "not supported";
            case Libc.EBUSY -> "device or resource busy";
            case Libc.ENOBUFS, Libc.ENOMEM -> "out of kernel memory";
            default -> "failed";
        };
    }

    // ---- parsing and small helpers ----

    private int indexFor(String ifname, String what) throws ErrnoException {
        return link(ifname).orElseThrow(() -> new ErrnoException(what + ": no such interface", Libc.ENODEV)).index();
    }

    private static Link parseLink(Reply m) {
        Map<Integer, ByteBuffer> a = m.attributes(IFINFOMSG_SIZE);
        String name = a.containsKey(IFLA_IFNAME) ? NetlinkMessage.string(a.get(IFLA_IFNAME)) : "";
        int mtu = a.containsKey(IFLA_MTU) ? a.get(IFLA_MTU).getInt(0) : 0;
        return new Link(m.body().getInt(4), name, mtu, (m.body().getInt(8) & IFF_UP) != 0);
    }

    private static Route parseRoute(Reply m, Map<Integer, Link> links) {
        ByteBuffer b = m.body();
        int family = b.get(0) & 0xff;
        int dstLen = b.get(1) & 0xff;
        Map<Integer, ByteBuffer> a = m.attributes(RTMSG_SIZE);
        byte[] dst = a.containsKey(RTA_DST) ? NetlinkMessage.bytes(a.get(RTA_DST))
                : new byte[family == Libc.AF_INET ? 4 : 16]; // no RTA_DST: the default route
        int table = a.containsKey(RTA_TABLE) ? a.get(RTA_TABLE).getInt(0) : b.get(4) & 0xff;
        int oif = a.containsKey(RTA_OIF) ? a.get(RTA_OIF).getInt(0) : 0;
        Optional<InetAddress> gateway = Optional.ofNullable(a.get(RTA_GATEWAY)).map(g -> inet(NetlinkMessage.bytes(g)));
        Optional<String> name = Optional.ofNullable(links.get(oif)).map(Link::name);
        return new Route(new Prefix(inet(dst), dstLen), gateway, oif, name, table, b.get(5) & 0xff, b.get(7) & 0xff);
    }

    private static InetAddress inet(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("kernel sent an address of " + raw.length + " bytes");
        }
    }

    private static int family(InetAddress a) {
        return a instanceof Inet4Address ? Libc.AF_INET : Libc.AF_INET6;
    }

    private static void checkPrefixLength(InetAddress a, int prefixLength, String what) {
        int max = a.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException(what + ": prefix length must be 0.." + max);
        }
    }
}
