package sitelink.device;

import sitelink.wireguard.Peer;

/**
 * A hook on the device's data path for what lies between routing and the tunnel: policy, MSS clamping, path-MTU
 * errors. Called on the data-path threads, once per packet: implementations must be thread-safe and allocation-free
 * in steady state.
 */
public interface PacketFilter {
    /** Writes a packet back into the TUN interface (towards the LAN), e.g. an ICMP error for the sender. */
    interface LanWriter {
        void write(byte[] buf, int off, int len);
    }

    /**
     * A packet from the LAN that routing sent to {@code peer}. Return false to drop it. The filter may rewrite it in
     * place (for example to clamp the TCP MSS) and may answer the sender through {@code lan}.
     */
    boolean toTunnel(Peer peer, byte[] buf, int off, int len, LanWriter lan);

    /** A decrypted packet from {@code peer} (its source already checked against the peer's allowed IPs). */
    boolean fromTunnel(Peer peer, byte[] buf, int off, int len);

    /** Lets everything pass: the device without a site policy. */
    PacketFilter NONE = new PacketFilter() {
        @Override
        public boolean toTunnel(Peer peer, byte[] buf, int off, int len, LanWriter lan) {
            return true;
        }

        @Override
        public boolean fromTunnel(Peer peer, byte[] buf, int off, int len) {
            return true;
        }
    };
}
