package sitelink.ike;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * A CHILD SA as negotiated (RFC 7296 section 2.17): the ESP SPIs, the encryption transform, the INTEG transform id
 * (0 with an AEAD), the keying material per direction (AEAD: key and salt; AES-CBC: encryption then integrity key), the
 * selectors both sides agreed on, and where ESP-in-UDP goes (RFC 3948).
 */
public record ChildSa(int inboundSpi, int outboundSpi, Transform encr, int integ, byte[] inboundKeymat, byte[] outboundKeymat,
                      List<TrafficSelector> localSelectors, List<TrafficSelector> remoteSelectors,
                      InetSocketAddress remote) {
    public ChildSa {
        localSelectors = List.copyOf(localSelectors);
        remoteSelectors = List.copyOf(remoteSelectors);
    }

    @Override
    public String toString() { // never the keys
        return String.format("CHILD SA %08x_i %08x_o %s%s %s === %s", inboundSpi, outboundSpi, encr.name(),
                integ == 0 ? "" : "-" + Transform.of(Ike.INTEG, integ).name(), localSelectors, remoteSelectors);
    }
}
