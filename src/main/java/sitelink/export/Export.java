package sitelink.export;

import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import sitelink.config.IkeSite;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;

/**
 * {@code sitelink export}: the configuration the far side of one remote site needs to match this site file exactly:
 * proposals, traffic selectors and identities mirrored, the same lifetimes and liveness checks. Secrets are referenced
 * by the file that holds them unless {@code includeSecrets}. docs/ikev2.md#the-far-sides-configuration-sitelink-export.
 */
public final class Export {
    private Export() {
    }

    /** What to write: the far side's software. */
    public enum Target {
        STRONGSWAN("strongswan"), WG_QUICK("wg-quick"), CISCO_IOS("cisco-ios"), PAN_OS("pan-os"), SITELINK("sitelink");

        private final String word;

        Target(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }

        public static Optional<Target> of(String word) {
            return Stream.of(values()).filter(t -> t.word.equals(word.strip().toLowerCase(Locale.ROOT))).findFirst();
        }

        public static String names() {
            return Stream.of(values()).map(Target::word).collect(Collectors.joining(", "));
        }
    }

    /**
     * @param siteFile       the site file's name as the user wrote it, for the header and relative paths
     * @param ourAddress     this gateway's address as the far side reaches it, when known (--address, or an IP local_id)
     * @param includeSecrets print pre-shared keys instead of naming their files
     */
    public record Options(String siteFile, Optional<String> ourAddress, boolean includeSecrets) {
    }

    /** The configuration text for the far side of {@code remote}, a remote site of {@code site}. */
    public static String render(Target target, SiteConfig site, String remote, Options options) throws ExportException {
        Optional<IkeSite> ike = site.ikeSite(remote);
        Optional<RemoteSite> wg = site.remoteSite(remote);
        if (ike.isEmpty() && wg.isEmpty()) {
            String names = Stream.concat(site.remoteSites().stream().map(RemoteSite::name), site.ikeSites().stream().map(IkeSite::name))
                    .collect(Collectors.joining(", "));
            throw new ExportException(options.siteFile() + " has no remote site '" + remote + "'"
                    + (names.isEmpty() ? "" : " (its remote sites: " + names + ")"));
        }
        if (wg.isPresent()) {
            return switch (target) {
                case WG_QUICK -> WgQuickExport.render(site, wg.get(), options);
                case SITELINK -> SitelinkExport.wireGuard(site, wg.get(), options);
                default -> throw new ExportException("remote site " + remote + " speaks WireGuard; --for " + target.word()
                        + " writes an IKEv2 peer's configuration: use --for wg-quick or --for sitelink");
            };
        }
        FarSide far = FarSide.of(site, ike.get(), options);
        return switch (target) {
            case STRONGSWAN -> StrongSwanExport.render(far);
            case CISCO_IOS -> CiscoIosExport.render(far);
            case PAN_OS -> PanOsExport.render(far);
            case SITELINK -> SitelinkExport.ikev2(site, far);
            case WG_QUICK -> throw new ExportException("remote site " + remote + " speaks IKEv2 (protocol: ikev2); --for "
                    + "wg-quick writes a WireGuard peer's file: use --for strongswan, cisco-ios, pan-os or sitelink");
        };
    }
}
