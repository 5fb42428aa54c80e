package sitelink.export;

import java.util.stream.Collectors;
import sitelink.config.IkeAuth;
import sitelink.ike.Proposal;
import sitelink.route.Prefix;

/**
 * A swanctl.conf connection (strongSwan 5.8 and later) for the far side: our proposals verbatim (the site file uses
 * strongSwan's syntax), the selectors and identities mirrored, our lifetimes as its {@code rekey_time}s, our liveness
 * interval as its {@code dpd_delay}, and a {@code secrets} section for the pre-shared key.
 */
final class StrongSwanExport {
    private StrongSwanExport() {
    }

    static String render(FarSide f) {
        String name = f.objectName();
        StringBuilder out = new StringBuilder(f.header("#", "swanctl.conf (strongSwan)"));
        out.append("# Load it with: swanctl --load-all (put it in /etc/swanctl/conf.d/").append(name).append(".conf)\n");
        out.append("connections {\n  ").append(name).append(" {\n    version = 2\n");
        f.theirAddress().ifPresentOrElse(a -> out.append("    local_addrs = ").append(a).append('\n'),
                () -> out.append("    # local_addrs: this gateway's address (").append(f.siteFile()).append(" names none)\n"));
        out.append("    remote_addrs = ").append(f.ourAddress().orElse("%any")).append(f.ourAddress().isPresent() ? "\n"
                : "    # sitelink's address is not in its site file: give it with sitelink export --address to let this side initiate\n");
        out.append("    encap = yes    # sitelink sends ESP in UDP (port 4500) only\n");
        proposalLines(out, "    ", "proposals", f.site().ikeProposals());
        out.append("    rekey_time = ").append(FarSide.time(f.site().ikeLifetime())).append('\n');
        out.append("    dpd_delay = ").append(f.site().dpdDelay().isZero() ? "0" : FarSide.time(f.site().dpdDelay())).append('\n');
        boolean cert = f.site().auth() instanceof IkeAuth.Cert;
        String method = cert ? "pubkey" : "psk";
        out.append("    local {\n      auth = ").append(method).append('\n');
        f.theirId().ifPresentOrElse(id -> out.append("      id = ").append(id(id)).append('\n'),
                () -> out.append("      # id: this gateway's address (the default), which sitelink expects\n"));
        if (cert) {
            out.append("      certs = ").append(f.theirName()).append(".crt    # this gateway's certificate (in x509/), naming ")
                    .append(f.theirId().map(FarSide.Id::value).orElse("its address")).append("; its CA must be one of ")
                    .append(f.siteFile()).append("'s ca files\n");
        }
        out.append("    }\n    remote {\n      auth = ").append(method).append('\n');
        out.append("      id = ").append(f.ourId().map(StrongSwanExport::id).orElse("%any")).append(f.ourId().isPresent() ? "\n"
                : "    # sitelink sends its address: set its local_id (or sitelink export --address) to pin it\n");
        if (cert) {
            out.append("      # the CA that issued sitelink's certificate goes in x509ca/\n");
        }
        out.append("    }\n    children {\n      ").append(name).append(" {\n");
        out.append("        local_ts = ").append(subnets(f.theirSubnets())).append('\n');
        out.append("        remote_ts = ").append(subnets(f.ourSubnets())).append('\n');
        proposalLines(out, "        ", "esp_proposals", f.site().espProposals());
        out.append("        rekey_time = ").append(FarSide.time(f.site().childLifetime())).append('\n');
        if (f.theyInitiate() && f.ourAddress().isPresent()) {
            out.append("        start_action = start    # sitelink only answers (start_action: none)\n");
        } else {
            out.append("        start_action = none    # sitelink initiates (start_action: ").append(f.site().startAction().word()).append(")\n");
        }
        out.append("      }\n    }\n  }\n}\n");
        f.psk().ifPresent(p -> {
            out.append("secrets {\n  ike-").append(name).append(" {\n");
            f.theirId().ifPresent(id -> out.append("    id-1 = ").append(id(id)).append('\n'));
            f.ourId().ifPresent(id -> out.append("    id-2 = ").append(id(id)).append('\n'));
            if (f.includeSecrets()) {
                out.append("    secret = \"").append(f.pskText(p).replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
            } else {
                out.append("    # secret = \"...\"    the line in ").append(p.file()).append(" on the sitelink gateway (or export with --include-secrets)\n");
            }
            out.append("  }\n}\n");
        });
        return out.toString();
    }

    /** swanctl takes a DN as written; a DNS name alone would be resolved by some versions, so it gets strongSwan's @. */
    private static String id(FarSide.Id id) {
        return switch (id.kind()) {
            case FQDN -> "@" + id.value();
            case DN -> "\"" + id.value() + "\"";
            default -> id.value();
        };
    }

    /**
     * The proposals as strongSwan writes them. Hybrid ones (ML-KEM, RFC 9370) only strongSwan 6 parses, and 5.x refuses
     * the whole connection for them: with classical ones beside them (post_quantum: preferred) the line has the
     * classical ones and a comment gives the line for strongSwan 6; with only hybrid ones (required) the line has them.
     */
    private static void proposalLines(StringBuilder out, String indent, String key, java.util.List<Proposal> ps) {
        java.util.List<Proposal> classical = ps.stream().filter(p -> p.transforms().stream().noneMatch(t -> t.type() >= sitelink.ike.Ike.ADDKE1)).toList();
        if (classical.isEmpty() || classical.size() == ps.size()) {
            out.append(indent).append(key).append(" = ").append(proposals(ps)).append('\n');
            return;
        }
        out.append(indent).append(key).append(" = ").append(proposals(classical)).append("    # strongSwan 5: classical only\n");
        out.append(indent).append("# strongSwan 6 or newer, post-quantum hybrid first as sitelink offers, instead:\n");
        out.append(indent).append("# ").append(key).append(" = ").append(proposals(ps)).append('\n');
    }

    private static String proposals(java.util.List<Proposal> ps) {
        return ps.stream().map(FarSide::spec).collect(Collectors.joining(", "));
    }

    private static String subnets(java.util.List<Prefix> ps) {
        return ps.stream().map(Prefix::toString).collect(Collectors.joining(", "));
    }
}
