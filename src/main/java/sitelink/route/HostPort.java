package sitelink.route;

/**
 * An endpoint's text split into host and port, the one syntax the site file ({@code config.Endpoint}) and the
 * WireGuard UAPI ({@code uapi.UapiProtocol}) share: {@code host:port}, {@code a.b.c.d:port} or {@code [ipv6]:port},
 * the brackets keeping the port apart from an IPv6 address's own colons (as in URLs, wg-quick and Go's
 * {@code netip.ParseAddrPort}). Only the split: what a host and a port may be (a DNS name or only a literal, port 0,
 * leading zeros) is each caller's rule, and so are the words of its errors.
 *
 * @param bracketed whether the host was written in brackets
 */
public record HostPort(String host, String port, boolean bracketed) {
    /** Why a text is not {@code host:port}. */
    public enum Problem {
        /** It starts with '[' but has no "]:" after the address. */
        NO_CLOSING_BRACKET,
        /** There is no ':' before a port. */
        NO_PORT,
        /** The host has colons of its own (an IPv6 address) without brackets around it. */
        UNBRACKETED_IPV6
    }

    /** The text is not {@code host:port}, for {@link #problem()}. */
    public static final class Malformed extends IllegalArgumentException {
        private final Problem problem;

        Malformed(Problem problem) {
            super(switch (problem) {
                case NO_CLOSING_BRACKET -> "an endpoint in brackets is [address]:port";
                case NO_PORT -> "the endpoint has no port";
                case UNBRACKETED_IPV6 -> "an IPv6 endpoint needs brackets: [address]:port";
            });
            this.problem = problem;
        }

        public Problem problem() {
            return problem;
        }
    }

    /**
     * Splits {@code text} as it is (no trimming): in brackets, the host up to the first "]:" and the port after it;
     * else at the last ':', the host then having no ':' of its own. The parts may be empty.
     *
     * @throws Malformed when the text is not {@code host:port}
     */
    public static HostPort split(String text) {
        if (text.startsWith("[")) {
            int close = text.indexOf("]:");
            if (close < 0) {
                throw new Malformed(Problem.NO_CLOSING_BRACKET);
            }
            return new HostPort(text.substring(1, close), text.substring(close + 2), true);
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new Malformed(Problem.NO_PORT);
        }
        String host = text.substring(0, colon);
        if (host.indexOf(':') >= 0) {
            throw new Malformed(Problem.UNBRACKETED_IPV6);
        }
        return new HostPort(host, text.substring(colon + 1), false);
    }
}
