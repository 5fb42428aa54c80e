package sitelink.ike;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.security.auth.x500.X500Principal;

/**
 * An IKE identity (RFC 7296 section 3.5) as strongSwan writes it: an IP address literal is ID_IPV4_ADDR or
 * ID_IPV6_ADDR, a distinguished name ({@code "O=Example, CN=right.example"}, anything with an {@code =}) is
 * ID_DER_ASN1_DN, {@code user@example.org} is ID_RFC822_ADDR, anything else (also {@code @host.example.org}) ID_FQDN.
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
        if (s.contains("=")) {
            try {
                return new IkeId(Ike.ID_DER_ASN1_DN, new X500Principal(s).getEncoded());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a distinguished name: " + s + " (" + e.getMessage() + ")", e);
            }
        }
        if (s.startsWith("@")) {
            return new IkeId(Ike.ID_FQDN, s.substring(1).getBytes(StandardCharsets.UTF_8));
        }
        return new IkeId(s.contains("@") ? Ike.ID_RFC822_ADDR : Ike.ID_FQDN, s.getBytes(StandardCharsets.UTF_8));
    }

    /** The subject of a certificate as an ID_DER_ASN1_DN identity (strongSwan's default local ID with a certificate). */
    public static IkeId of(X500Principal subject) {
        return new IkeId(Ike.ID_DER_ASN1_DN, subject.getEncoded());
    }

    /**
     * Whether {@code other} names the same identity: byte for byte, except that distinguished names compare as
     * X.500 names (a peer may encode a CN as PrintableString where we wrote UTF8String) and FQDNs ignore case.
     */
    public boolean sameAs(IkeId other) {
        if (other.idType != idType) {
            return false;
        }
        return switch (idType) {
            case Ike.ID_DER_ASN1_DN -> principal().isPresent() && principal().equals(other.principal());
            case Ike.ID_FQDN -> new String(data, StandardCharsets.UTF_8).equalsIgnoreCase(new String(other.data, StandardCharsets.UTF_8));
            default -> Arrays.equals(data, other.data);
        };
    }

    /** The distinguished name of an ID_DER_ASN1_DN identity; empty for other types or undecodable DER. */
    java.util.Optional<X500Principal> principal() {
        if (idType != Ike.ID_DER_ASN1_DN) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(new X500Principal(data));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
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
                case Ike.ID_DER_ASN1_DN -> principal().map(p -> p.getName(X500Principal.RFC2253)).orElse("malformed DN ID");
                default -> "ID type " + idType + " (" + data.length + " bytes)";
            };
        } catch (java.net.UnknownHostException e) {
            return "malformed address ID";
        }
    }
}
