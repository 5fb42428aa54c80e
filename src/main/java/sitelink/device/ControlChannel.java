package sitelink.device;

import java.util.Optional;
import sitelink.crypto.Key;
import sitelink.tunnel.Remote;

/**
 * A conversation between this gateway and a remote site's gateway carried inside their tunnel (the post-quantum
 * preshared key's exchange, docs/post-quantum.md), and the hold it may put on the site's traffic. The device asks it
 * about every decrypted packet before the source check and the policy, and about every LAN packet before routing;
 * it sends the channel's own packets with {@link Device#sendControl}, past the filter.
 */
public interface ControlChannel {
    ControlChannel NONE = new ControlChannel() {
        @Override
        public boolean receive(Remote site, byte[] buf, int off, int len) {
            return false;
        }

        @Override
        public boolean imitates(byte[] buf, int off, int len) {
            return false;
        }

        @Override
        public boolean holds(Key site) {
            return false;
        }
    };

    /** True when this decrypted packet from {@code site} is the channel's: it has been taken and goes no further. */
    boolean receive(Remote site, byte[] buf, int off, int len);

    /** True when a LAN packet has the channel's shape: refused, so that no host can speak on the channel. */
    boolean imitates(byte[] buf, int off, int len);

    /** True when {@code site}'s data may not pass now (fail closed). Called per packet: cheap. */
    boolean holds(Key site);

    /** Why {@code site}'s data is held back, for status (empty when it passes). */
    default Optional<String> holdReason(Key site) {
        return Optional.empty();
    }

    /** The channel's state with {@code site} for status, empty when it does not run with that site. */
    default Optional<String> describe(Key site) {
        return Optional.empty();
    }
}
