package sitelink.policy;

import sitelink.crypto.Key;

/**
 * A hook on the device's data path for what lies between routing and the tunnel: policy, MSS clamping, path-MTU
 * errors. Keyed by the remote site (its public key, as the site file names it), whatever protocol carries it.
 * Called on the data-path threads, once per packet: implementations must be thread-safe and allocation-free in
 * steady state.
 */
public interface PacketFilter {
    /** Writes a packet back into the TUN interface (towards the LAN), e.g. an ICMP error for the sender. */
    interface LanWriter {
        void write(byte[] buf, int off, int len);
    }

    /**
     * A packet from the LAN that routing sent to the remote site {@code site}. Return false to drop it. The filter may
     * rewrite it in place (for example to clamp the TCP MSS) and may answer the sender through {@code lan}.
     */
    boolean toTunnel(Key site, byte[] buf, int off, int len, LanWriter lan);

    /** A decrypted packet from the remote site {@code site} (its source already checked against the site's subnets). */
    boolean fromTunnel(Key site, byte[] buf, int off, int len);

    /** Lets everything pass: the device without a site policy. */
    PacketFilter NONE = new PacketFilter() {
        @Override
        public boolean toTunnel(Key site, byte[] buf, int off, int len, LanWriter lan) {
            return true;
        }

        @Override
        public boolean fromTunnel(Key site, byte[] buf, int off, int len) {
            return true;
        }
    };
}
