package sitelink.ike;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An IKE identity (RFC 7296 section 3.5) as strongSwan writes it: an IP address literal is ID_IPV4_ADDR or
 * ID_IPV6_ADDR, {@code user@example.org} is ID_RFC822_ADDR, anything else (also {@code @host.example.org}) ID_FQDN.
 */
public record IkeId(int idType, byte[] data) {
    public IkeId {
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    public static IkeId parse(String s) {
        if (s.matches("[0-9.]+") || (s.contains(":") && s.matches("[0-9a-fA-F:.]+"))) {
            try {
                byte[] a = InetAddress.getByName(s).getAddress();
                return new IkeId(a.length == 4 ? Ike.ID_IPV4_ADDR : Ike.ID_IPV6_ADDR, a);
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address: " + s, e);
            }
        }
        if (s.startsWith("@")) {
            return new IkeId(Ike.ID_FQDN, s.substring(1).getBytes(StandardCharsets.UTF_8));
        }
        return new IkeId(s.contains("@") ? Ike.ID_RFC822_ADDR : Ike.ID_FQDN, s.getBytes(StandardCharsets.UTF_8));
    }

    public static IkeId of(InetAddress address) {
        byte[] a = address.getAddress();
        return new IkeId(a.length == 4 ? Ike.ID_IPV4_ADDR : Ike.ID_IPV6_ADDR, a);
    }

    Payload.Identification payload(boolean initiator) {
        return new Payload.Identification(initiator, idType, data);
    }

    static IkeId of(Payload.Identification p) {
        return new IkeId(p.idType(), p.data());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IkeId i && i.idType == idType && Arrays.equals(i.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * idType + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        try {
            return switch (idType) {
                case Ike.ID_IPV4_ADDR, Ike.ID_IPV6_ADDR -> InetAddress.getByAddress(data).getHostAddress();
                case Ike.ID_FQDN, Ike.ID_RFC822_ADDR -> new String(data, StandardCharsets.UTF_8);
                default -> "ID type " + idType + " (" + data.length + " bytes)";
            };
        } catch (java.net.UnknownHostException e) {
            return "malformed address ID";
        }
    }
}
