package sitelink.ike;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A proposal (RFC 7296 section 3.3.1): its number, protocol (IKE or ESP), SPI (8 bytes for IKE in a rekey, 4 for
 * ESP, empty in IKE_SA_INIT) and its transforms, at most one of each type in the proposals we make and select.
 */
public record Proposal(int number, int protocol, byte[] spi, List<Transform> transforms) {
    public Proposal {
        spi = spi.clone();
        transforms = List.copyOf(transforms);
    }

    @Override
    public byte[] spi() {
        return spi.clone();
    }

    public Proposal withNumberAndSpi(int n, byte[] newSpi) {
        return new Proposal(n, protocol, newSpi, transforms);
    }

    public Optional<Transform> first(int type) {
        return transforms.stream().filter(t -> t.type() == type).findFirst();
    }

    public List<Transform> all(int type) {
        return transforms.stream().filter(t -> t.type() == type).toList();
    }

    /** The DH group of this proposal, or 0 when it names none (an ESP proposal without PFS). */
    public int dhGroup() {
        return first(Ike.DH).map(Transform::id).orElse(0);
    }

    /** As strongSwan writes it: {@code IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/MODP_2048} in our lower-case proposal syntax. */
    @Override
    public String toString() {
        return (protocol == Ike.PROTO_ESP ? "ESP:" : "IKE:")
                + transforms.stream().map(Transform::name).collect(Collectors.joining("-"));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Proposal p && p.number == number && p.protocol == protocol
                && java.util.Arrays.equals(p.spi, spi) && p.transforms.equals(transforms);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(number, protocol, java.util.Arrays.hashCode(spi), transforms);
    }
}
