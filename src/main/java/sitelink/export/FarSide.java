package sitelink.export;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import sitelink.config.IkeAuth;
import sitelink.config.IkeSite;
import sitelink.config.SiteConfig;
import sitelink.config.StartAction;
import sitelink.ike.Ike;
import sitelink.ike.IkeId;
import sitelink.ike.Proposal;
import sitelink.ike.Transform;
import sitelink.route.Prefix;

/**
 * An IKEv2 remote site seen from the other end: its local subnets are our remote ones and the other way round, its ID
 * is the one we expect and the ID it expects is ours, its address is our endpoint. The renderers read only this.
 *
 * @param theirAddress the far side's own address (our endpoint's host), when we have one
 * @param ourAddress   where the far side reaches us, when known: --address, or our local_id when it is an address
 * @param ourId        the identity we send, as the far side writes it; empty when it is our address and that is unknown
 * @param theirId      the identity we expect from the far side; empty when it is its address and that is a DNS name
 */
record FarSide(String siteFile, String ourName, IkeSite site, List<Prefix> theirSubnets, List<Prefix> ourSubnets,
               Optional<String> theirAddress, Optional<String> ourAddress, Optional<Id> ourId, Optional<Id> theirId,
               boolean includeSecrets) {
    /** An identity by kind, as appliances configure them: address, fqdn, email or a distinguished name. */
    record Id(Kind kind, String value) {
        enum Kind { ADDRESS, FQDN, EMAIL, DN }

        static Id of(IkeId id) {
            return switch (id.idType()) {
                case Ike.ID_IPV4_ADDR, Ike.ID_IPV6_ADDR -> new Id(Kind.ADDRESS, id.toString());
                case Ike.ID_FQDN -> new Id(Kind.FQDN, id.toString());
                case Ike.ID_RFC822_ADDR -> new Id(Kind.EMAIL, id.toString());
                default -> new Id(Kind.DN, strongSwanDn(id.toString()));
            };
        }

        /** strongSwan and the appliances write a DN in its DER order ("C=CH, O=Example, CN=gw"), RFC 2253 the reverse. */
        private static String strongSwanDn(String rfc2253) {
            try {
                return new LdapName(rfc2253).getRdns().stream().map(Rdn::toString).collect(Collectors.joining(", "));
            } catch (InvalidNameException e) {
                return rfc2253;
            }
        }
    }

    static FarSide of(SiteConfig config, IkeSite site, Export.Options options) {
        Optional<String> theirAddress = site.endpoint().map(e -> e.host());
        Optional<String> ourAddress = options.ourAddress().or(() -> site.localId()
                .filter(id -> id.idType() == Ike.ID_IPV4_ADDR || id.idType() == Ike.ID_IPV6_ADDR).map(IkeId::toString));
        Optional<Id> ourId = site.localId().map(Id::of).or(() -> switch (site.auth()) {
            case IkeAuth.Cert c -> Optional.of(Id.of(IkeId.of(c.certificates().chain().get(0).getSubjectX500Principal())));
            case IkeAuth.Psk p -> ourAddress.map(a -> new Id(Id.Kind.ADDRESS, a));
        });
        Optional<Id> theirId = site.remoteId().map(Id::of).or(() -> site.endpoint().flatMap(e -> e.literalAddress())
                .map(a -> new Id(Id.Kind.ADDRESS, Prefix.formatAddress(a))));
        return new FarSide(options.siteFile(), config.name(), site, site.remoteSubnets(), config.localSubnets(),
                theirAddress, ourAddress, ourId, theirId, options.includeSecrets());
    }

    String theirName() {
        return site.name();
    }

    /** A name for the far side's objects: "sitelink-" and our site's name, safe in every appliance's syntax. */
    String objectName() {
        return ("sitelink-" + ourName).replaceAll("[^A-Za-z0-9_.-]", "-");
    }

    /** What the far side should do at start: initiate when we only answer, otherwise wait for us. */
    boolean theyInitiate() {
        return site.startAction() == StartAction.NONE;
    }

    Optional<IkeAuth.Psk> psk() {
        return site.auth() instanceof IkeAuth.Psk p ? Optional.of(p) : Optional.empty();
    }

    /** The pre-shared key's line, only with --include-secrets. */
    String pskText(IkeAuth.Psk p) {
        return new String(p.secret(), java.nio.charset.StandardCharsets.UTF_8);
    }

    static List<Integer> ids(Proposal p, int type) {
        return p.all(type).stream().map(Transform::id).toList();
    }

    /** AES key lengths of the proposal's transforms of one cipher (AES-CBC or AES-GCM-16), in the proposal's order. */
    static List<Integer> aesKeys(Proposal p, int encr) {
        return p.all(Ike.ENCR).stream().filter(t -> t.id() == encr).map(Transform::keyLength).toList();
    }

    /** The SHA-2 size of an integrity algorithm or PRF, as appliances name both: sha256, sha384, sha512. */
    static String sha(int id) {
        return switch (id) {
            case Ike.AUTH_HMAC_SHA2_384_192, Ike.PRF_HMAC_SHA2_384 -> "sha384";
            case Ike.AUTH_HMAC_SHA2_512_256, Ike.PRF_HMAC_SHA2_512 -> "sha512";
            default -> "sha256";
        };
    }

    /** A proposal as the site file writes it (strongSwan's syntax), without the noesn we add. */
    static String spec(Proposal p) {
        return p.transforms().stream().map(Transform::name).filter(n -> !n.equals("noesn")).collect(Collectors.joining("-"));
    }

    static String seconds(Duration d) {
        return String.valueOf(d.toSeconds());
    }

    /** swanctl's and sitelink's time syntax: 4h, 90m, 45s. */
    static String time(Duration d) {
        long s = d.toSeconds();
        return s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    /** The header every output starts with, in the target's comment syntax. */
    String header(String comment, String what) {
        return comment + " " + what + " for the far side of remote site " + theirName() + " in " + siteFile + " (site "
                + ourName + "), made by sitelink export.\n" + comment + " Proposals, traffic selectors, identities, lifetimes and "
                + "the liveness check match that file; change them there and export again.\n";
    }
}
