package sitelink.os.host;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import sitelink.route.Prefix;

/**
 * The ledger behind "own what you add": every change a gateway makes to the system goes through here, which makes
 * it and records how to undo it. {@link #close()} undoes the recorded changes newest first, carries on past any
 * undo that fails (and says so in the log), and does nothing the second time.
 *
 * <p>Only what this ledger changed is recorded: an address or route that was already there, a link that was
 * already up, a sysctl that already had the wanted value are left out, so closing never removes what someone else
 * set up. Sysctl changes are undone in the calling thread's network namespace, so close the ledger in the namespace
 * it was filled in.
 */
public final class SystemChanges implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("sitelink.os");

    /** How to take one change back. */
    @FunctionalInterface
    public interface Undo {
        void run() throws IOException;
    }

    /** One recorded change: a sentence for logs and status, and its undo. */
    public record Change(String description, Undo undo) {
    }

    private final Deque<Change> changes = new ArrayDeque<>();

    /** {@code ip address add}; false (and nothing recorded) when the interface already had this address. */
    public synchronized boolean addAddress(Netlink netlink, String ifname, InetAddress address, int prefixLength)
            throws ErrnoException {
        String text = address.getHostAddress() + "/" + prefixLength;
        try {
            netlink.addAddress(ifname, address, prefixLength);
        } catch (ErrnoException e) {
            if (e.errno() == Libc.EEXIST) {
                LOG.log(Level.INFO, "Address " + text + " was already on " + ifname + "; leaving it alone");
                return false;
            }
            throw e;
        }
        record("added address " + text + " to " + ifname,
                () -> netlink.deleteAddress(ifname, address, prefixLength));
        return true;
    }

    /**
     * {@code ip route add DST dev IFNAME}. False (nothing recorded) when that very route already existed; an
     * ErrnoException (EEXIST) when the destination is already routed through another interface, because then the
     * remote subnet would not reach the tunnel.
     */
    public synchronized boolean addRoute(Netlink netlink, Prefix destination, String ifname) throws ErrnoException {
        try {
            netlink.addRoute(destination, ifname);
        } catch (ErrnoException e) {
            if (e.errno() != Libc.EEXIST) {
                throw e;
            }
            Optional<Netlink.Route> existing = netlink.routes().stream()
                    .filter(r -> r.destination().equals(destination)).findFirst();
            if (existing.isPresent() && existing.get().interfaceName().equals(Optional.of(ifname))) {
                LOG.log(Level.INFO, "Route " + destination + " via " + ifname + " was already there; leaving it alone");
                return false;
            }
            throw new ErrnoException("add route " + destination + " via " + ifname + ": the destination is already routed"
                    + existing.map(r -> " (" + r + ")").orElse(""), Libc.EEXIST);
        }
        record("added route " + destination + " via " + ifname, () -> netlink.deleteRoute(destination, ifname));
        return true;
    }

    /**
     * {@code ip route add DST dev IFNAME table TABLE}: a route in a table of the gateway's own (source-based
     * routing), where nobody else's routes are, so an existing one is an error (another gateway uses the table).
     */
    public synchronized void addRoute(Netlink netlink, Prefix destination, String ifname, int table) throws ErrnoException {
        netlink.addRoute(destination, ifname, table);
        record("added route " + destination + " via " + ifname + " in table " + table,
                () -> netlink.deleteRoute(destination, ifname, table));
    }

    /** {@code ip route add throw DST table TABLE}: lookups for DST leave TABLE for the next rule. */
    public synchronized void addThrowRoute(Netlink netlink, Prefix destination, int table) throws ErrnoException {
        netlink.addThrowRoute(destination, table);
        record("added throw route " + destination + " in table " + table, () -> netlink.deleteThrowRoute(destination, table));
    }

    /** {@code ip rule add from SRC lookup TABLE}. */
    public synchronized void addRule(Netlink netlink, Prefix source, int table) throws ErrnoException {
        netlink.addRule(source, table);
        record("added rule from " + source + " lookup " + table, () -> netlink.deleteRule(source, table));
    }

    /** {@code ip link set IFNAME up}; recorded (to set it down again) only if it was down. */
    public synchronized boolean setLinkUp(Netlink netlink, String ifname) throws ErrnoException {
        if (netlink.link(ifname).map(Netlink.Link::up).orElse(false)) {
            return false;
        }
        netlink.setLinkUp(ifname, true);
        record("set " + ifname + " up", () -> netlink.setLinkUp(ifname, false));
        return true;
    }

    /** {@code ip link set IFNAME mtu MTU}; recorded with the previous MTU when it changed. */
    public synchronized boolean setMtu(Netlink netlink, String ifname, int mtu) throws ErrnoException {
        int previous = netlink.link(ifname)
                .orElseThrow(() -> new ErrnoException("set MTU on " + ifname + ": no such interface", Libc.ENODEV)).mtu();
        if (previous == mtu) {
            return false;
        }
        netlink.setMtu(ifname, mtu);
        record("set MTU of " + ifname + " from " + previous + " to " + mtu, () -> netlink.setMtu(ifname, previous));
        return true;
    }

    /** Sets a sysctl; recorded (to restore the old value) only when the value changed. */
    public synchronized boolean setSysctl(Sysctl sysctl, String key, String value) throws IOException {
        String previous = sysctl.set(key, value);
        if (previous.equals(value)) {
            return false;
        }
        record("changed " + key + " from " + previous + " to " + value, () -> sysctl.set(key, previous));
        return true;
    }

    /** Records that we created {@code file} (a socket, a state file), so it is deleted on close. */
    public synchronized void createdFile(Path file) {
        record("created " + file, () -> Files.deleteIfExists(file));
    }

    /** Records any other change, already made, with its undo. */
    public synchronized void record(String description, Undo undo) {
        changes.push(new Change(description, undo));
        LOG.log(Level.DEBUG, description);
    }

    /** What is recorded now, newest first. */
    public synchronized List<String> describe() {
        return changes.stream().map(Change::description).toList();
    }

    /**
     * Undoes every recorded change, newest first, and forgets it. Returns one sentence per undo that failed
     * (empty when all went well); a change that has disappeared on its own (the interface went away and took its
     * routes with it) counts as undone.
     */
    public synchronized List<String> undoAll() {
        List<String> failures = new ArrayList<>();
        while (!changes.isEmpty()) {
            Change c = changes.pop();
            try {
                c.undo().run();
                LOG.log(Level.DEBUG, "Undid: " + c.description());
            } catch (IOException | RuntimeException e) {
                if (e instanceof ErrnoException x && alreadyGone(x)) {
                    LOG.log(Level.INFO, "Nothing to undo for '" + c.description() + "': " + e.getMessage());
                    continue;
                }
                String failure = "Could not undo '" + c.description() + "': " + e.getMessage();
                LOG.log(Level.WARNING, failure);
                failures.add(failure);
            }
        }
        return failures;
    }

    @Override
    public void close() {
        undoAll();
    }

    private static boolean alreadyGone(ErrnoException e) {
        return e.errno() == Libc.ENODEV || e.errno() == Libc.ESRCH || e.errno() == Libc.EADDRNOTAVAIL
                || e.errno() == Libc.ENOENT;
    }
}
