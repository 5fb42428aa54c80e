package sitelink;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Counts the name lookups the JVM makes (the JDK's own resolver still answers them), so a test can assert that code
 * which promises numeric addresses only never resolved a name: deterministic, unlike timing a call. Installed for
 * every test JVM through META-INF/services/java.net.spi.InetAddressResolverProvider in src/test/resources.
 * Lookups InetAddress answers from its cache are not counted.
 */
public final class NameLookups extends InetAddressResolverProvider {
    private static final AtomicLong COUNT = new AtomicLong();

    /** Lookups by name or by address since the JVM started. */
    public static long count() {
        return COUNT.get();
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                COUNT.incrementAndGet();
                return builtin.lookupByName(host, policy);
            }

            @Override
            public String lookupByAddress(byte[] addr) throws UnknownHostException {
                COUNT.incrementAndGet();
                return builtin.lookupByAddress(addr);
            }
        };
    }

    @Override
    public String name() {
        return "sitelink test name-lookup counter";
    }
}
