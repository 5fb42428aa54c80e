package sitelink.export;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import sitelink.config.IkeAuth;
import sitelink.ike.Ike;
import sitelink.ike.Proposal;
import sitelink.route.Prefix;

/**
 * Cisco IOS XE configuration commands for the far side: an IKEv2 proposal and policy, a keyring, an IKEv2 profile,
 * transform sets and an IPsec profile, and a static virtual tunnel interface with routes to our subnets. Written from
 * Cisco's command references, not tried on a device (docs/ikev2.md says so). IOS XE has no ChaCha20-Poly1305 and no
 * Curve25519: a proposal of only those cannot be written, and the export says what to add.
 */
final class CiscoIosExport {
    /** IOS's limits: an IKEv2 profile's dpd interval 10..3600 s, its lifetime 120..86400 s. */
    private static final int MIN_DPD = 10, MAX_DPD = 3600;

    private CiscoIosExport() {
    }

    static String render(FarSide f) throws ExportException {
        String n = f.objectName();
        StringBuilder out = new StringBuilder(f.header("!", "Cisco IOS XE configuration"));
        out.append("! Written from Cisco's command references, not tried on a device. Paste it in configuration mode;\n");
        out.append("! GigabitEthernet1 stands for the interface that holds ").append(f.theirAddress().orElse("this router's address"))
                .append(": change it if yours differs.\n");
        List<String> ike = new ArrayList<>();
        for (Proposal p : f.site().ikeProposals()) {
            ikeProposal(p).ifPresent(ike::add);
        }
        if (ike.isEmpty()) {
            throw new ExportException("none of " + f.theirName() + "'s ike_proposals can be configured on IOS XE (it has no "
                    + "ChaCha20-Poly1305 and no Curve25519): add one such as aes256gcm16-prfsha256-ecp256, or write "
                    + "profile: cisco-ios-xe");
        }
        for (int i = 0; i < ike.size(); i++) {
            out.append("crypto ikev2 proposal ").append(n).append(ike.size() == 1 ? "" : "-" + (i + 1)).append('\n').append(ike.get(i));
        }
        out.append("crypto ikev2 policy ").append(n).append('\n');
        f.theirAddress().ifPresent(a -> out.append(" match address local ").append(a).append('\n'));
        for (int i = 0; i < ike.size(); i++) {
            out.append(" proposal ").append(n).append(ike.size() == 1 ? "" : "-" + (i + 1)).append('\n');
        }
        String ours = f.ourAddress().orElse("SITELINK-ADDRESS");
        boolean cert = f.site().auth() instanceof IkeAuth.Cert;
        if (!cert) {
            out.append("crypto ikev2 keyring ").append(n).append("\n peer ").append(f.ourName()).append("\n  address ").append(ours).append('\n');
            f.psk().ifPresent(p -> out.append(f.includeSecrets() ? "  pre-shared-key " + f.pskText(p) + "\n"
                    : "  ! pre-shared-key <the line in " + p.file() + " on the sitelink gateway> (or export with --include-secrets)\n"));
        }
        out.append("crypto ikev2 profile ").append(n).append('\n');
        out.append(" match identity remote ").append(f.ourId().map(CiscoIosExport::remoteIdentity).orElse("address " + ours + " 255.255.255.255")).append('\n');
        f.theirId().ifPresent(id -> out.append(" identity local ").append(localIdentity(id)).append('\n'));
        String method = cert ? "rsa-sig" : "pre-share";
        out.append(" authentication remote ").append(method).append("\n authentication local ").append(method).append('\n');
        if (cert) {
            out.append(" pki trustpoint ").append(n).append("\n! (a trustpoint with this router's certificate and the CA of sitelink's)\n");
        } else {
            out.append(" keyring local ").append(n).append('\n');
        }
        out.append(" lifetime ").append(FarSide.seconds(f.site().ikeLifetime())).append('\n');
        long dpd = f.site().dpdDelay().toSeconds();
        if (dpd > 0) {
            long d = Math.max(MIN_DPD, Math.min(MAX_DPD, dpd));
            out.append(" dpd ").append(d).append(" 5 on-demand").append(d == dpd ? "\n" : "\n! (sitelink probes every " + dpd + " s; IOS allows 10..3600)\n");
        }
        List<String> sets = transformSets(f.site().espProposals());
        if (sets.isEmpty()) {
            throw new ExportException("none of " + f.theirName() + "'s esp_proposals can be configured on IOS XE (it has no "
                    + "ChaCha20-Poly1305): add aes256gcm16, or write profile: cisco-ios-xe");
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < sets.size(); i++) {
            String name = n + (sets.size() == 1 ? "" : "-" + (i + 1));
            names.add(name);
            out.append("crypto ipsec transform-set ").append(name).append(' ').append(sets.get(i)).append("\n mode tunnel\n");
        }
        out.append("crypto ipsec profile ").append(n).append("\n set transform-set ").append(String.join(" ", names)).append('\n');
        int group = f.site().espProposals().stream().mapToInt(Proposal::dhGroup).filter(g -> g != 0).findFirst().orElse(0);
        if (group != 0) {
            out.append(" set pfs group").append(group).append('\n');
        }
        out.append(" set security-association lifetime seconds ").append(FarSide.seconds(f.site().childLifetime())).append('\n');
        out.append(" set ikev2-profile ").append(n).append('\n');
        out.append("interface Tunnel100\n description sitelink ").append(f.ourName()).append('\n');
        out.append(" ip unnumbered GigabitEthernet1\n tunnel source GigabitEthernet1\n tunnel mode ipsec ipv4\n");
        out.append(" tunnel destination ").append(ours).append('\n');
        out.append(" tunnel protection ipsec profile ").append(n).append('\n');
        out.append("! A static tunnel interface negotiates 0.0.0.0/0 === 0.0.0.0/0; sitelink narrows that to ")
                .append(join(f.theirSubnets())).append(" === ").append(join(f.ourSubnets())).append(" when this router initiates.\n");
        if (!f.theyInitiate()) {
            out.append("! If this router refuses sitelink's narrower selectors (TS_UNACCEPTABLE in its log), write start_action: none\n"
                    + "! for ").append(f.theirName()).append(" in ").append(f.siteFile()).append(" so that this router initiates.\n");
        }
        for (Prefix p : f.ourSubnets()) {
            if (p.isIpv4()) {
                out.append("ip route ").append(Prefix.formatAddress(p.address())).append(' ').append(mask(p.length())).append(" Tunnel100\n");
            } else {
                out.append("ipv6 route ").append(p).append(" Tunnel100\n");
            }
        }
        return out.toString();
    }

    /** One IKEv2 proposal's body, or empty when IOS has none of its ciphers or groups. */
    private static java.util.Optional<String> ikeProposal(Proposal p) {
        Set<String> encr = new LinkedHashSet<>();
        FarSide.aesKeys(p, Ike.ENCR_AES_GCM_16).forEach(k -> encr.add("aes-gcm-" + k));
        FarSide.aesKeys(p, Ike.ENCR_AES_CBC).forEach(k -> encr.add("aes-cbc-" + k));
        List<String> groups = FarSide.ids(p, Ike.DH).stream().filter(g -> g == Ike.MODP_2048 || g == Ike.ECP_256 || g == Ike.ECP_384)
                .map(String::valueOf).toList();
        if (encr.isEmpty() || groups.isEmpty()) {
            return java.util.Optional.empty();
        }
        StringBuilder s = new StringBuilder(" encryption ").append(String.join(" ", encr)).append('\n');
        List<String> integ = FarSide.ids(p, Ike.INTEG).stream().map(FarSide::sha).toList();
        if (!integ.isEmpty()) {
            s.append(" integrity ").append(String.join(" ", integ)).append('\n');
        }
        s.append(" prf ").append(String.join(" ", FarSide.ids(p, Ike.PRF).stream().map(FarSide::sha).toList())).append('\n');
        s.append(" group ").append(String.join(" ", groups)).append('\n');
        return java.util.Optional.of(s.toString());
    }

    /** A transform set per cipher of each ESP proposal: "esp-gcm 256", "esp-aes 256 esp-sha256-hmac". */
    private static List<String> transformSets(List<Proposal> esp) {
        Set<String> out = new LinkedHashSet<>();
        for (Proposal p : esp) {
            FarSide.aesKeys(p, Ike.ENCR_AES_GCM_16).forEach(k -> out.add("esp-gcm " + (k == 128 ? "" : k)));
            for (int k : FarSide.aesKeys(p, Ike.ENCR_AES_CBC)) {
                for (int i : FarSide.ids(p, Ike.INTEG)) {
                    out.add("esp-aes " + k + " esp-" + FarSide.sha(i) + "-hmac");
                }
            }
        }
        return out.stream().map(String::strip).toList();
    }

    private static String remoteIdentity(FarSide.Id id) {
        return switch (id.kind()) {
            case ADDRESS -> "address " + id.value() + (id.value().contains(":") ? "/128" : " 255.255.255.255");
            case FQDN -> "fqdn " + id.value();
            case EMAIL -> "email " + id.value();
            case DN -> "any\n! (sitelink presents " + id.value() + ": a 'match certificate MAP' naming that subject is stricter)";
        };
    }

    private static String localIdentity(FarSide.Id id) {
        return switch (id.kind()) {
            case ADDRESS -> "address " + id.value();
            case FQDN -> "fqdn " + id.value();
            case EMAIL -> "email " + id.value();
            case DN -> "dn";
        };
    }

    private static String mask(int length) {
        long m = length == 0 ? 0 : 0xffffffffL << (32 - length) & 0xffffffffL;
        return (m >>> 24) + "." + (m >>> 16 & 255) + "." + (m >>> 8 & 255) + "." + (m & 255);
    }

    private static String join(List<Prefix> ps) {
        return String.join(", ", ps.stream().map(Prefix::toString).toList());
    }
}
