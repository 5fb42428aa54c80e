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
 * PAN-OS {@code set} commands (configuration mode) for the far side: an IKE crypto profile and an IPSec crypto profile
 * with our algorithms, an IKEv2 gateway with the mirrored identities, and an IPSec tunnel whose proxy IDs are our
 * selectors mirrored, plus static routes to our subnets. A PAN-OS crypto profile lists encryption, hash and DH
 * groups separately and accepts their combinations; sitelink then picks (or offers) only its own. Written from Palo
 * Alto's documentation, not tried on a device.
 */
final class PanOsExport {
    /** PAN-OS's IKEv2 liveness check interval: 2..100 s. */
    private static final int MIN_DPD = 2, MAX_DPD = 100;

    private PanOsExport() {
    }

    static String render(FarSide f) throws ExportException {
        String n = f.objectName();
        String ike = "set network ike crypto-profiles ike-crypto-profiles " + n;
        String ipsec = "set network ike crypto-profiles ipsec-crypto-profiles " + n;
        String gw = "set network ike gateway " + n;
        String tunnel = "set network tunnel ipsec " + n;
        StringBuilder out = new StringBuilder(f.header("#", "PAN-OS configuration (set commands)"));
        out.append("# Written from Palo Alto Networks' documentation, not tried on a device. Enter the set lines in configure mode (lines\n"
                + "# starting with # are notes, not commands), then commit;\n");
        out.append("# ethernet1/1, tunnel.10, the virtual router \"default\" and the zone \"sitelink\" are this firewall's: change them if yours differ;\n"
                + "# a security policy rule between that zone and the LAN's is yours to write.\n");

        Set<String> encr = new LinkedHashSet<>(), hash = new LinkedHashSet<>(), groups = new LinkedHashSet<>();
        for (Proposal p : f.site().ikeProposals()) {
            List<String> e = ciphers(p), g = groups(p);
            if (e.isEmpty() || g.isEmpty()) {
                continue; // ChaCha20-Poly1305 or Curve25519 only: PAN-OS has neither
            }
            encr.addAll(e);
            groups.addAll(g);
            FarSide.ids(p, Ike.PRF).forEach(id -> hash.add(FarSide.sha(id)));
        }
        if (encr.isEmpty()) {
            throw new ExportException("none of " + f.theirName() + "'s ike_proposals can be configured on PAN-OS (it has no "
                    + "ChaCha20-Poly1305 and no Curve25519): add one such as aes256gcm16-prfsha384-ecp384, or write "
                    + "profile: pan-os-suite-b-gcm-256");
        }
        out.append(ike).append(" encryption [ ").append(String.join(" ", encr)).append(" ]\n");
        out.append(ike).append(" hash [ ").append(String.join(" ", hash)).append(" ]\n");
        out.append(ike).append(" dh-group [ ").append(String.join(" ", groups)).append(" ]\n");
        out.append(ike).append(" lifetime seconds ").append(FarSide.seconds(f.site().ikeLifetime())).append('\n');

        Set<String> espEncr = new LinkedHashSet<>(), espAuth = new LinkedHashSet<>();
        for (Proposal p : f.site().espProposals()) {
            List<String> e = ciphers(p);
            if (e.isEmpty()) {
                continue;
            }
            espEncr.addAll(e);
            List<Integer> integ = FarSide.ids(p, Ike.INTEG);
            if (integ.isEmpty()) {
                espAuth.add("none"); // AES-GCM authenticates by itself
            }
            integ.forEach(id -> espAuth.add(FarSide.sha(id)));
        }
        if (espEncr.isEmpty()) {
            throw new ExportException("none of " + f.theirName() + "'s esp_proposals can be configured on PAN-OS (it has no "
                    + "ChaCha20-Poly1305): add aes256gcm16, or write profile: pan-os-suite-b-gcm-256");
        }
        out.append(ipsec).append(" esp encryption [ ").append(String.join(" ", espEncr)).append(" ]\n");
        out.append(ipsec).append(" esp authentication [ ").append(String.join(" ", espAuth)).append(" ]\n");
        int pfs = f.site().espProposals().stream().mapToInt(Proposal::dhGroup).filter(g -> g != 0).findFirst().orElse(0);
        out.append(ipsec).append(" dh-group ").append(pfs == 0 ? "no-pfs" : "group" + pfs).append('\n');
        out.append(ipsec).append(" lifetime seconds ").append(FarSide.seconds(f.site().childLifetime())).append('\n');

        String ours = f.ourAddress().orElse("SITELINK-ADDRESS");
        out.append(gw).append(" protocol version ikev2\n");
        out.append(gw).append(" protocol ikev2 ike-crypto-profile ").append(n).append('\n');
        long dpd = f.site().dpdDelay().toSeconds();
        if (dpd > 0) {
            long d = Math.max(MIN_DPD, Math.min(MAX_DPD, dpd));
            out.append(gw).append(" protocol ikev2 dpd enable yes\n");
            out.append(gw).append(" protocol ikev2 dpd interval ").append(d).append(d == dpd ? "\n" : "\n# (sitelink probes every " + dpd + " s; PAN-OS allows 2..100)\n");
        }
        out.append("# NAT traversal on: sitelink sends ESP in UDP only\n");
        out.append(gw).append(" protocol-common nat-traversal enable yes\n");
        out.append(gw).append(" local-address interface ethernet1/1\n");
        f.theirAddress().ifPresent(a -> out.append(gw).append(" local-address ip ").append(a).append('\n'));
        out.append(gw).append(" peer-address ip ").append(ours).append('\n');
        f.theirId().ifPresent(id -> out.append(gw).append(" local-id type ").append(type(id)).append(" id ").append(quote(id.value())).append('\n'));
        f.ourId().ifPresent(id -> out.append(gw).append(" peer-id type ").append(type(id)).append(" id ").append(quote(id.value())).append('\n'));
        if (f.site().auth() instanceof IkeAuth.Cert) {
            out.append("# certificates: ").append(gw).append(" authentication certificate local-certificate <this firewall's> "
                    + "and a certificate profile with the CA of sitelink's certificate\n");
        } else {
            f.psk().ifPresent(p -> out.append(f.includeSecrets() ? gw + " authentication pre-shared-key key " + quote(f.pskText(p)) + "\n"
                    : "# " + gw + " authentication pre-shared-key key <the line in " + p.file()
                    + " on the sitelink gateway>   (or export with --include-secrets)\n"));
        }
        out.append("set network interface tunnel units tunnel.10 comment \"sitelink ").append(f.ourName()).append("\"\n");
        out.append("set network virtual-router default interface tunnel.10\n");
        out.append("set zone sitelink network layer3 tunnel.10\n");
        out.append(tunnel).append(" tunnel-interface tunnel.10\n");
        out.append(tunnel).append(" auto-key ike-gateway ").append(n).append('\n');
        out.append(tunnel).append(" auto-key ipsec-crypto-profile ").append(n).append('\n');
        int i = 0;
        for (Prefix local : f.theirSubnets()) {
            for (Prefix remote : f.ourSubnets()) {
                if (local.isIpv4() == remote.isIpv4()) {
                    out.append(tunnel).append(" auto-key ").append(local.isIpv4() ? "proxy-id" : "proxy-id-v6").append(" p").append(++i)
                            .append(" local ").append(local).append(" remote ").append(remote).append(" protocol any\n");
                }
            }
        }
        int r = 0;
        for (Prefix p : f.ourSubnets()) {
            out.append("set network virtual-router default routing-table ").append(p.isIpv4() ? "ip" : "ipv6")
                    .append(" static-route ").append(n).append('-').append(++r).append(" destination ").append(p)
                    .append(" interface tunnel.10\n");
        }
        return out.toString();
    }

    private static List<String> ciphers(Proposal p) {
        List<String> out = new ArrayList<>();
        FarSide.aesKeys(p, Ike.ENCR_AES_GCM_16).stream().filter(k -> k != 192).forEach(k -> out.add("aes-" + k + "-gcm"));
        FarSide.aesKeys(p, Ike.ENCR_AES_CBC).forEach(k -> out.add("aes-" + k + "-cbc"));
        return out;
    }

    private static List<String> groups(Proposal p) {
        return FarSide.ids(p, Ike.DH).stream().filter(g -> g == Ike.MODP_2048 || g == Ike.ECP_256 || g == Ike.ECP_384)
                .map(g -> "group" + g).toList();
    }

    private static String type(FarSide.Id id) {
        return switch (id.kind()) {
            case ADDRESS -> "ipaddr";
            case FQDN -> "fqdn";
            case EMAIL -> "ufqdn";
            case DN -> "dn";
        };
    }

    private static String quote(String s) {
        return s.matches("[A-Za-z0-9@._:/-]+") ? s : "\"" + s.replace("\"", "\\\"") + "\"";
    }
}
