package sitelink.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import sitelink.route.HostPort;
import sitelink.route.Prefix;

/**
 * Where a remote site's gateway listens: an IP literal or a DNS name, and a UDP port. A name stays a name in the
 * model; the gateway resolves it when it starts and again while handshakes fail, so a site whose address changes
 * (a dynamic DNS name) is found again without editing the file.
 */
public record Endpoint(String host, int port) {
    public Endpoint {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("endpoint port " + port + " is outside 1..65535");
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("endpoint host is empty");
        }
    }

    /**
     * Parses {@code host:port}, {@code a.b.c.d:port} or {@code [ipv6]:port} (the brackets keep the port apart from
     * the address's own colons, as in URLs and wg-quick).
     */
    public static Endpoint parse(String text) {
        HostPort split;
        try {
            split = HostPort.split(text.strip());
        } catch (HostPort.Malformed e) {
            throw new IllegalArgumentException(e.problem() == HostPort.Problem.NO_PORT ? "the port is missing; write host:port"
                    : "write an IPv6 endpoint as [address]:port");
        }
        String host = split.host();
        String port = split.port();
        if (split.bracketed()) {
            if (host.indexOf(']') >= 0) { // "[a]b]:1": the first ']' must close the address
                throw new IllegalArgumentException("write an IPv6 endpoint as [address]:port");
            }
            Prefix.parseAddress(host); // brackets are for IPv6 literals only
        } else if (!isHostName(host)) {
            throw new IllegalArgumentException("'" + host + "' is neither an IP address nor a DNS name");
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("'" + port + "' is not a port number");
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is outside 1..65535");
        }
        return new Endpoint(host, p);
    }

    static boolean isHostName(String h) {
        if (h.isEmpty() || h.length() > 253) {
            return false;
        }
        for (String label : h.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")
                    || !label.chars().allMatch(c -> c == '-' || Character.isLetterOrDigit(c) && c < 128)) {
                return false;
            }
        }
        return true;
    }

    /** The address when the host is an IP literal; empty for a DNS name (no lookup is made). */
    public Optional<InetAddress> literalAddress() {
        try {
            return Optional.of(Prefix.parseAddress(host));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Looks the host up now (a literal needs no lookup). */
    public InetSocketAddress resolve() throws UnknownHostException {
        Optional<InetAddress> literal = literalAddress();
        InetAddress a = literal.isPresent() ? literal.get() : InetAddress.getByName(host);
        return new InetSocketAddress(a, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
