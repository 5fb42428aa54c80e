package sitelink.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import sitelink.ike.Ike;
import sitelink.ike.IkeId;
import sitelink.ike.Proposal;
import sitelink.ike.PostQuantum;
import sitelink.ike.Proposals;
import sitelink.policy.Rule;
import sitelink.route.Prefix;

/**
 * The fields of a remote site that speaks IKEv2 ({@code protocol: ikev2}), checked with the same located messages
 * as the rest of the file: authentication ({@code auth: psk} and a {@code psk_file}), identities, proposals in
 * strongSwan's syntax (weak algorithms refused by {@link Proposals}), lifetimes, the liveness check and the start
 * action. Names follow swanctl.conf where it has one, so a strongSwan user recognises them.
 */
final class IkeSiteFields {
    static final List<String> FIELDS = List.of("auth", "psk_file", "certificate", "private_key", "ca", "crl", "rsa_pss", "local_id",
            "remote_id", "profile", "ike_proposals", "esp_proposals", "ike_lifetime", "child_lifetime", "dpd_delay", "start_action",
            "post_quantum");
    /** FIELDS but post_quantum, which both protocols have (WireGuard's reads on | off). */
    private static final Set<String> IKE_ONLY = FIELDS.stream().filter(f -> !f.equals("post_quantum"))
            .collect(java.util.stream.Collectors.toUnmodifiableSet());
    static final List<String> WIREGUARD_ONLY = List.of("public_key", "preshared_key", "preshared_key_file",
            "persistent_keepalive");
    /** What an IKEv2 site has instead of each WireGuard field, for the message that refuses the latter. */
    private static final Map<String, String> INSTEAD = Map.of(
            "public_key", "an IKEv2 site authenticates with auth: psk and psk_file, or auth: cert and its certificate",
            "preshared_key", "an IKEv2 site's pre-shared key goes in psk_file",
            "preshared_key_file", "an IKEv2 site's pre-shared key goes in psk_file",
            "persistent_keepalive", "IKEv2 checks the peer with dpd_delay and keeps NAT mappings open by itself");
    /**
     * The DH groups {@link Proposals} refuses as weak, with the numbers that appliance configurations use for them
     * ("group 2"), so the message speaks both languages.
     */
    private static final Map<String, Integer> WEAK_GROUPS = Map.of("modp768", 1, "modp1024", 2, "modp1536", 5,
            "modp1024s160", 22, "modp2048s224", 23, "modp2048s256", 24, "ecp192", 25, "ecp224", 26);
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})\\s*([smhd]?)");
    /** Compiled once: String.matches compiles its pattern on every call. */
    private static final Pattern IPV4_CHARS = Pattern.compile("[0-9.]+");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");
    static final Duration MIN_LIFETIME = Duration.ofMinutes(2);
    static final Duration MAX_LIFETIME = Duration.ofHours(24);
    static final Duration MAX_DPD_DELAY = Duration.ofHours(1);

    private final SiteValidator v;
    private final Path baseDir;

    IkeSiteFields(SiteValidator v, Path baseDir) {
        this.v = v;
        this.baseDir = baseDir;
    }

    /** A WireGuard field on an IKEv2 site is an error that names both and says what the site has instead. */
    void refuseWireGuardFields(Node.Mapping r, String what) {
        for (String f : WIREGUARD_ONLY) {
            r.field(f).ifPresent(x -> v.error(x.keyLocation(), x.label() + " is a WireGuard field, but " + what
                    + " speaks IKEv2 (protocol: ikev2): remove it (" + INSTEAD.get(f) + ")"));
        }
    }

    /** An IKEv2 field on a WireGuard site is an error; without a protocol: line, the user may have forgotten it. */
    void refuseIkeFields(Node.Mapping r, String what) {
        boolean explicit = r.field("protocol").isPresent();
        // The site's own few fields against the IKEv2 ones, in FIELDS' order, each key's first field: not fifteen
        // look-ups of keys a WireGuard site does not have (Jazzer traces every map look-up that misses).
        List<Node.Field> ike = new ArrayList<>();
        for (Node.Field x : r.fields()) {
            if (x.key() != null && IKE_ONLY.contains(x.key()) && ike.stream().noneMatch(y -> y.key().equals(x.key()))) {
                ike.add(x);
            }
        }
        ike.sort(Comparator.comparingInt(x -> FIELDS.indexOf(x.key())));
        for (Node.Field x : ike) {
            v.error(x.keyLocation(), x.label() + " is an IKEv2 field, but " + what
                    + " speaks WireGuard" + (explicit ? " (protocol: wireguard): remove it"
                    : " (the default protocol): add protocol: ikev2 to link to an IPsec gateway, or remove it"));
        }
    }

    /** Everything after the shared fields; the site only when nothing had an error. */
    Optional<IkeSite> read(Node.Mapping r, String what, Optional<String> name, Optional<Endpoint> endpoint,
                           List<Prefix> remoteSubnets, List<Rule> policy, List<Prefix> routeFrom, int dscp) {
        int before = v.errorCount();
        Optional<IkeAuth> auth = auth(r, what, name.orElse("remote"));
        boolean certs = auth.filter(x -> x instanceof IkeAuth.Cert).isPresent();
        Optional<IkeId> localId = v.scalar(r, "local_id").flatMap(s -> identity(s, v.label(r, "local_id"), true, certs));
        Optional<IkeId> remoteId = v.scalar(r, "remote_id").flatMap(s -> identity(s, v.label(r, "remote_id"), false,
                certs));
        Optional<IkeProfile> profile = profile(r);
        // a profile supplies the defaults; a field written on the site overrides it
        List<Proposal> ike = proposals(r, "ike_proposals", Ike.PROTO_IKE,
                profile.map(IkeProfile::ikeProposals).orElse(Proposals.DEFAULT_IKE));
        List<Proposal> esp = proposals(r, "esp_proposals", Ike.PROTO_ESP,
                profile.map(IkeProfile::espProposals).orElse(Proposals.DEFAULT_ESP));
        Duration ikeDefault = profile.map(IkeProfile::ikeLifetime).orElse(IkeSite.DEFAULT_IKE_LIFETIME);
        Duration childDefault = profile.map(IkeProfile::childLifetime).orElse(IkeSite.DEFAULT_CHILD_LIFETIME);
        Duration dpdDefault = profile.map(IkeProfile::dpdDelay).orElse(IkeSite.DEFAULT_DPD_DELAY);
        Duration ikeLifetime = v.scalar(r, "ike_lifetime").map(s -> lifetime(s, v.label(r, "ike_lifetime"),
                ikeDefault)).orElse(ikeDefault);
        Duration childLifetime = v.scalar(r, "child_lifetime").map(s -> lifetime(s, v.label(r, "child_lifetime"),
                childDefault)).orElse(childDefault);
        Duration dpd = v.scalar(r, "dpd_delay").map(s -> dpdDelay(s, v.label(r, "dpd_delay"))).orElse(dpdDefault);
        StartAction start = startAction(r, endpoint.isPresent());
        // a vendor profile describes an appliance's classical defaults: post-quantum only when written
        PostQuantum pq = postQuantum(r, ike, esp, profile.isPresent() ? PostQuantum.OFF : PostQuantum.DEFAULT);
        if (v.errorCount() > before || name.isEmpty() || auth.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new IkeSite(name.get(), endpoint, remoteSubnets, policy, auth.get(), localId, remoteId,
                Proposals.postQuantum(pq, ike), Proposals.postQuantum(pq, esp), ikeLifetime, childLifetime, dpd, start, pq, profile,
                routeFrom, dscp));
    }

    /**
     * {@code post_quantum: required | preferred | off} (default preferred): whether ML-KEM-768 joins the key exchange
     * (RFC 9370). {@code off} with a {@code ke1_...} in the proposals contradicts itself and is refused.
     */
    private PostQuantum postQuantum(Node.Mapping r, List<Proposal> ike, List<Proposal> esp, PostQuantum unwritten) {
        Optional<Node.Scalar> s = v.scalar(r, "post_quantum");
        if (s.isEmpty()) {
            return unwritten;
        }
        Optional<PostQuantum> pq = PostQuantum.parse(s.get().text());
        if (pq.isEmpty()) {
            v.error(s.get().location(), v.label(r, "post_quantum") + " '" + s.get().text().strip() + "' is not known; write required"
                    + " (refuse a peer without ML-KEM), preferred (the default: hybrid when the peer can, else classical) or off");
            return PostQuantum.DEFAULT;
        }
        List<Proposal> all = new ArrayList<>(ike);
        all.addAll(esp);
        Proposals.postQuantumConflict(pq.get(), all).ifPresent(why -> v.error(s.get().location(), v.label(r, "post_quantum") + ": " + why));
        return pq.get();
    }

    /** {@code profile: NAME}: one of {@link IkeProfile}'s names; an unknown one is an error listing them. */
    private Optional<IkeProfile> profile(Node.Mapping r) {
        Optional<Node.Scalar> s = v.scalar(r, "profile");
        if (s.isEmpty()) {
            return Optional.empty();
        }
        Optional<IkeProfile> p = IkeProfile.of(s.get().text());
        if (p.isEmpty()) {
            v.error(s.get().location(), v.label(r, "profile") + " '" + s.get().text().strip() + "' is not known; write one of "
                    + IkeProfile.names() + " (docs/ikev2.md says what each selects), or remove it for sitelink's defaults");
        }
        return p;
    }

    /**
     * An IKE endpoint: a host alone means port 500, IKE's port (the exchange moves to 4500 for NAT traversal by
     * itself); {@code host:port} or {@code [IPv6]:port} when the peer listens elsewhere.
     */
    static Optional<Endpoint> endpoint(SiteValidator v, Node.Scalar s, String label) {
        String t = s.text().strip();
        try {
            Prefix.parseAddress(t);
            return Optional.of(new Endpoint(t, IkeSite.IKE_PORT));
        } catch (IllegalArgumentException notAnAddress) {
            // a name, or host:port
        }
        try {
            return Optional.of(t.indexOf(':') < 0 ? Endpoint.parse(t + ":" + IkeSite.IKE_PORT) : Endpoint.parse(t));
        } catch (IllegalArgumentException e) {
            v.error(s.location(), label + " '" + t + "' is not a host with an optional port (" + e.getMessage()
                    + "); e.g. 198.51.100.2, gw.example.net or \"[2001:db8::2]:500\" (the port defaults to 500)");
            return Optional.empty();
        }
    }

    private Optional<IkeAuth> auth(Node.Mapping r, String what, String siteName) {
        String method = "psk";
        Optional<Node.Scalar> a = v.scalar(r, "auth");
        if (r.field("auth").isPresent() && a.isEmpty()) {
            return Optional.empty();
        }
        if (a.isPresent()) {
            method = a.get().text().strip().toLowerCase(Locale.ROOT);
            switch (method) {
                case "psk" -> {
                }
                case "cert", "certificate", "pubkey" -> {
                    return cert(r, what, siteName);
                }
                default -> {
                    v.error(a.get().location(), "auth '" + a.get().text().strip() + "' is not known; write psk "
                            + "(a pre-shared key in psk_file) or cert (certificates: certificate, private_key, ca)"
                            + (method.startsWith("eap") ? ". EAP is for remote-access clients, not site links" : ""));
                    return Optional.empty();
                }
            }
        }
        for (String f : List.of("certificate", "private_key", "ca", "crl", "rsa_pss")) {
            r.field(f).ifPresent(x -> v.error(x.keyLocation(), x.label() + " is for auth: cert; write auth: cert to "
                    + "use certificates, or remove it"));
        }
        return psk(r, what, siteName);
    }

    /**
     * Certificates ({@code auth: cert}): {@code certificate} (PEM, ours first, then any intermediates),
     * {@code private_key} (PEM: PKCS#8, SEC1 or PKCS#1; a key file, mode 0600), {@code ca} (one or more PEM files of
     * trust anchors) and {@code crl} (optional PEM or DER CRLs of those CAs). All are read and checked here: the key
     * belongs to the certificate and is of a supported kind (RSA of 2048 bits or more, ECDSA P-256/P-384, Ed25519),
     * our certificate and the CAs are valid now, with a warning {@value IkeAuth.Cert#WARN_DAYS_BEFORE_EXPIRY} days
     * before one expires. The peer's identity must be given ({@code remote_id}): its certificate must name it.
     */
    private Optional<IkeAuth> cert(Node.Mapping r, String what, String siteName) {
        int before = v.errorCount();
        String where = what + " (auth: cert)";
        r.field("psk_file").ifPresent(f -> v.error(f.keyLocation(), f.label() + " is for auth: psk; with auth: cert "
                + "the site authenticates with certificate, private_key and ca: remove it"));
        Optional<Node.Scalar> cert = requiredScalar(r, "certificate", "/etc/sitelink/" + siteName + "-cert.pem (made "
                + "by: sitelink pki issue)", where);
        Optional<Node.Scalar> key = requiredScalar(r, "private_key", "/etc/sitelink/" + siteName + "-key.pem (mode 0600)",
                where);
        List<Node.Scalar> cas = v.scalars(r, "ca");
        if (r.field("ca").isEmpty()) {
            v.missing(r, "ca", "/etc/sitelink/ca.pem (the CA certificate the peer's certificate chains to)", where);
        }
        List<Node.Scalar> crls = v.scalars(r, "crl");
        Optional<Node.Scalar> pssNode = v.scalar(r, "rsa_pss");
        boolean rsaPss = pssNode.map(s -> switch (s.text().strip().toLowerCase(Locale.ROOT)) {
            case "yes", "true", "on" -> true; // YAML 1.1 reads these as booleans
            case "no", "false", "off" -> false;
            default -> {
                v.error(s.location(), v.label(r, "rsa_pss") + " '" + s.text().strip() + "' is not known; write yes (sign "
                        + "with RSASSA-PSS, for a peer that requires it) or no (PKCS#1 v1.5, the default)");
                yield false;
            }
        }).orElse(false);
        if (r.field("remote_id").isEmpty()) {
            v.error(r.location(), where + " has no remote_id; with certificates give the identity the peer's certificate "
                    + "names (a DNS name or IP address in its subjectAltName, or its subject DN), e.g. remote_id: "
                    + "gw.example.org");
        }
        if (v.errorCount() > before) {
            return Optional.empty();
        }
        Optional<Path> certFile = existing(cert.get(), v.label(r, "certificate"), "sitelink pki issue");
        Optional<Path> keyFile = existing(key.get(), v.label(r, "private_key"), "sitelink pki issue");
        keyFile.ifPresent(k -> v.keyFile(v.label(r, "private_key"), k, key.get().location()));
        List<Path> caFiles = cas.stream().map(s -> existing(s, v.label(r, "ca"), "sitelink pki ca"))
                .flatMap(Optional::stream).toList();
        List<Path> crlFiles = crls.stream().map(s -> existing(s, v.label(r, "crl"), "sitelink pki revoke"))
                .flatMap(Optional::stream).toList();
        if (v.errorCount() > before) {
            return Optional.empty();
        }
        try {
            List<java.security.cert.X509Certificate> chain = sitelink.pki.PemFiles.read(certFile.get()).certificates();
            if (chain.isEmpty()) {
                v.error(cert.get().location(), v.label(r, "certificate") + " " + certFile.get() + " holds no certificate "
                        + "(a PEM file with -----BEGIN CERTIFICATE-----)");
                return Optional.empty();
            }
            java.security.PrivateKey privateKey = sitelink.pki.PemFiles.privateKey(keyFile.get());
            if (rsaPss && !(privateKey instanceof java.security.interfaces.RSAKey)) {
                v.error(pssNode.get().location(), v.label(r, "rsa_pss") + " is yes, but " + keyFile.get() + " holds an "
                        + privateKey.getAlgorithm() + " key: RSASSA-PSS signs with RSA keys only; remove rsa_pss");
                return Optional.empty();
            }
            List<java.security.cert.X509Certificate> anchors = new java.util.ArrayList<>();
            for (int i = 0; i < caFiles.size(); i++) {
                List<java.security.cert.X509Certificate> c = sitelink.pki.PemFiles.read(caFiles.get(i)).certificates();
                if (c.isEmpty()) {
                    v.error(cas.get(i).location(), v.label(r, "ca") + " " + caFiles.get(i) + " holds no certificate");
                }
                anchors.addAll(c);
            }
            List<java.security.cert.X509CRL> crlList = new java.util.ArrayList<>();
            for (Path f : crlFiles) {
                crlList.addAll(sitelink.pki.PemFiles.read(f).crls());
            }
            validity(chain.get(0), "this site's certificate", cert.get().location());
            for (int i = 0; i < anchors.size(); i++) {
                validity(anchors.get(i), "CA certificate " + anchors.get(i).getSubjectX500Principal().getName(),
                        cas.get(Math.min(i, cas.size() - 1)).location());
            }
            if (v.errorCount() > before) {
                return Optional.empty();
            }
            return Optional.of(new IkeAuth.Cert(certFile.get(), keyFile.get(), caFiles, crlFiles,
                    new sitelink.ike.IkeCertificates(chain, privateKey, anchors, crlList, rsaPss)));
        } catch (IllegalArgumentException e) {
            v.error(cert.get().location(), what + ": " + e.getMessage());
        } catch (java.io.IOException | RuntimeException e) {
            v.error(cert.get().location(), what + ": cannot read the certificates and key (" + e.getMessage() + ")");
        }
        return Optional.empty();
    }

    private Optional<Node.Scalar> requiredScalar(Node.Mapping r, String field, String example, String where) {
        Optional<Node.Scalar> s = v.scalar(r, field);
        if (s.isEmpty() && r.field(field).isEmpty()) {
            v.missing(r, field, example, where);
        }
        return s;
    }

    private Optional<Path> existing(Node.Scalar s, String label, String makeWith) {
        Path path = baseDir.resolve(s.text().strip());
        if (!Files.exists(path)) {
            v.error(s.location(), label + " " + path + " does not exist (make it with " + makeWith + ")");
            return Optional.empty();
        }
        return Optional.of(path);
    }

    /** Expired or not yet valid: an error; expiring within 30 days: a warning to renew. */
    private void validity(java.security.cert.X509Certificate c, String what, Location at) {
        java.time.Instant now = java.time.Instant.now();
        java.time.Instant notAfter = c.getNotAfter().toInstant(), notBefore = c.getNotBefore().toInstant();
        String day = java.time.format.DateTimeFormatter.ISO_LOCAL_DATE.format(notAfter.atZone(java.time.ZoneOffset.UTC));
        if (now.isAfter(notAfter)) {
            v.error(at, what + " expired on " + day + "; renew it (sitelink pki issue)");
        } else if (now.isBefore(notBefore)) {
            v.error(at, what + " is not valid before " + notBefore + " (check this machine's clock)");
        } else {
            long days = Duration.between(now, notAfter).toDays();
            if (days < IkeAuth.Cert.WARN_DAYS_BEFORE_EXPIRY) {
                v.warning(at, what + " expires in " + days + " days (" + day + "); renew it (sitelink pki issue)");
            }
        }
    }

    /**
     * The pre-shared key: one line of text in a file of mode 0600 ({@link SystemChecks} checks the mode and owner
     * like every key file), at least {@link IkeAuth.Psk#MIN_LENGTH} characters. Its content is never quoted.
     */
    private Optional<IkeAuth> psk(Node.Mapping r, String what, String siteName) {
        Optional<Node.Scalar> s = v.scalar(r, "psk_file");
        if (s.isEmpty()) {
            if (r.field("psk_file").isEmpty()) {
                String f = "/etc/sitelink/" + siteName + ".psk";
                v.missing(r, "psk_file", f + " (create it with: umask 077; sitelink genpsk > " + f
                        + ", and give the other gateway the same key)", what + " (auth: psk)");
            }
            return Optional.empty();
        }
        String label = v.label(r, "psk_file");
        Path path = baseDir.resolve(s.get().text().strip());
        Location at = s.get().location();
        if (!Files.exists(path)) {
            v.error(at, label + " " + path + " does not exist; create it with: umask 077; sitelink genpsk > " + path
                    + " (and give the other gateway the same key)");
            return Optional.empty();
        }
        v.keyFile(label, path, at);
        byte[] raw;
        try {
            raw = Files.readAllBytes(path);
        } catch (IOException e) {
            v.error(at, label + " " + path + " cannot be read (" + e.getClass().getSimpleName()
                    + "); check that sitelink runs as root or as the file's owner");
            return Optional.empty();
        }
        int end = raw.length;
        if (end > 0 && raw[end - 1] == '\n') {
            end--;
        }
        if (end > 0 && raw[end - 1] == '\r') {
            end--;
        }
        byte[] key = Arrays.copyOf(raw, end);
        Arrays.fill(raw, (byte) 0);
        String make = "umask 077; sitelink genpsk > " + path;
        try {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(key)).toString();
            } catch (CharacterCodingException e) {
                v.error(at, label + " " + path + " is not text (not UTF-8); write the key as one line of text, e.g. "
                        + "with: " + make);
                return Optional.empty();
            }
            if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
                v.error(at, label + " " + path + " holds more than one line; put the key alone on one line");
                return Optional.empty();
            }
            int n = text.codePointCount(0, text.length());
            if (n < IkeAuth.Psk.MIN_LENGTH) {
                // RFC 7296 section 2.15: the AUTH value lets an eavesdropper test guesses offline, so length is the defence.
                v.error(at, label + " " + path + " holds a key of " + n + " characters, shorter than the "
                        + IkeAuth.Psk.MIN_LENGTH + " a pre-shared key needs (a short key can be guessed offline from one "
                        + "captured IKE exchange); make a new one with: " + make + ", and give the other gateway the same key");
                return Optional.empty();
            }
            if (!text.equals(text.strip())) {
                v.warning(at, label + " " + path + ": the key " + (Character.isWhitespace(text.charAt(0)) ? "begins" : "ends")
                        + " with a space or tab, which is part of the key; remove it unless the other gateway's key has it too");
            }
            return Optional.of(new IkeAuth.Psk(path, key));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /**
     * An IKE identity as strongSwan writes it: an IP address, a DNS name ({@code gw.example.org} or
     * {@code @gw.example.org}) or an email address; with certificates also a distinguished name ({@code CN=gw,O=Example}).
     * Wildcards are refused by name, and distinguished names with a pre-shared key.
     */
    private Optional<IkeId> identity(Node.Scalar s, String label, boolean ours, boolean certs) {
        String t = s.text().strip();
        String forms = "write an IP address (198.51.100.1), a DNS name (gw.example.org or @gw.example.org) or an email "
                + "address (vpn@example.org)";
        Optional<String> bad = Optional.empty();
        if (t.startsWith("%")) {
            bad = Optional.of(ours ? "is not an identity this side can send; leave " + label + " out to send this "
                    + "gateway's address, or " + forms
                    : "is a wildcard, but sitelink checks the peer's identity exactly; give the identity the peer sends "
                    + "(strongSwan sends its IP address unless its local id is set), or leave " + label + " out to "
                    + "expect the endpoint's address");
        } else if (t.contains("=") && certs) {
            try {
                new javax.security.auth.x500.X500Principal(t);
            } catch (IllegalArgumentException e) {
                bad = Optional.of("is not a distinguished name (" + e.getMessage() + "); write it as CN=gw.example.org,"
                        + "O=Example, or " + forms);
            }
        } else if (t.contains("=")) {
            bad = Optional.of("looks like a distinguished name (C=, O=, CN=), an identity for certificates (auth: "
                    + "cert); with auth: psk " + forms);
        } else if (t.startsWith("@#")) {
            bad = Optional.of("is a key ID, which sitelink does not support; " + forms);
        } else if (IPV4_CHARS.matcher(t).matches() || IPV6_CHARS.matcher(t).matches() && t.contains(":")) {
            try {
                Prefix.parseAddress(t);
            } catch (IllegalArgumentException e) {
                bad = Optional.of("is not an IP address (" + e.getMessage() + "); " + forms);
            }
        } else {
            String host = t.startsWith("@") ? t.substring(1) : t.substring(t.indexOf('@') + 1);
            boolean email = !t.startsWith("@") && t.contains("@");
            String user = email ? t.substring(0, t.indexOf('@')) : "x";
            if (!Endpoint.isHostName(host) || user.isEmpty() || user.chars().anyMatch(c -> c <= ' ' || c == '@')) {
                bad = Optional.of("is neither an IP address, a DNS name nor an email address; " + forms);
            }
        }
        if (bad.isPresent()) {
            v.error(s.location(), label + " '" + t + "' " + bad.get());
            return Optional.empty();
        }
        return Optional.of(IkeId.parse(t));
    }

    /**
     * Proposals as swanctl.conf's {@code proposals}: a list, or one value with commas; {@code default} stands for
     * our defaults. Each is parsed by {@link Proposals}, whose refusal of a weak algorithm names it and its
     * replacement; the message points at the value that holds it.
     */
    private List<Proposal> proposals(Node.Mapping r, String field, int protocol, List<String> defaults) {
        if (r.field(field).isEmpty()) {
            return parseOrThrow(protocol, defaults);
        }
        String label = v.label(r, field);
        List<Proposal> out = new ArrayList<>();
        for (Node.Scalar s : v.scalars(r, field)) {
            for (String spec : s.text().split(",")) {
                spec = spec.strip();
                if (spec.isEmpty()) {
                    v.error(s.location(), label + " has an empty proposal between commas; remove the extra comma");
                    continue;
                }
                List<String> specs = spec.equalsIgnoreCase("default") ? defaults : List.of(spec);
                for (String one : specs) {
                    List<String> weak = weaknesses(protocol, one);
                    if (!weak.isEmpty()) {
                        weak.forEach(w -> v.error(s.location(), label + " '" + one + "': " + w));
                        continue;
                    }
                    try {
                        out.add(Proposals.parse(protocol, out.size() + 1, one));
                    } catch (Proposals.ProposalException e) {
                        v.error(s.location(), label + " " + e.getMessage());
                    }
                }
            }
        }
        return out;
    }

    /**
     * Every weak algorithm of one proposal, so that one run of check lists them all (the parser stops at the first):
     * a weak DH group with the group numbers appliance configurations use ("group 2"), any other as
     * {@link Proposals} refuses it, with its replacement.
     */
    private static List<String> weaknesses(int protocol, String spec) {
        List<String> out = new ArrayList<>();
        for (String token : spec.strip().toLowerCase(Locale.ROOT).split("-")) {
            Integer group = WEAK_GROUPS.get(token);
            if (group != null) {
                out.add(token + " (DH group " + group + ") is too weak for a site link and refused; use modp2048 "
                        + "(group 14), ecp256 (group 19), ecp384 (group 20) or curve25519 (group 31)");
                continue;
            }
            try {
                Proposals.parse(protocol, 1, token);
            } catch (Proposals.ProposalException e) {
                String prefix = "'" + token + "': ";
                String m = e.getMessage();
                if (m.startsWith(prefix) && m.contains(" is too weak ")) {
                    out.add(m.substring(prefix.length()));
                }
            }
        }
        return out;
    }

    private static List<Proposal> parseOrThrow(int protocol, List<String> specs) {
        try {
            return Proposals.parseAll(protocol, specs);
        } catch (Proposals.ProposalException e) {
            throw new IllegalStateException("the default proposals do not parse", e);
        }
    }

    /** {@code 4h}, {@code 90m}, {@code 3600s} or {@code 3600} (seconds), {@code 1d}: swanctl.conf's time syntax. */
    private Optional<Duration> duration(Node.Scalar s, String label, String fix) {
        Matcher m = DURATION.matcher(s.text().strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            v.error(s.location(), label + " '" + s.text().strip() + "' is not a duration; " + fix);
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        return Optional.of(switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        });
    }

    private Duration lifetime(Node.Scalar s, String label, Duration fallback) {
        String fix = "give 2m..24h, e.g. " + text(fallback) + " (units s, m, h, d; the default is " + text(fallback) + ")";
        Optional<Duration> d = duration(s, label, fix);
        if (d.isPresent() && (d.get().compareTo(MIN_LIFETIME) < 0 || d.get().compareTo(MAX_LIFETIME) > 0)) {
            String why = d.get().compareTo(MIN_LIFETIME) < 0 ? "is too short: the SA would be rekeyed all the time"
                    : "is too long: keys should not serve more than a day";
            v.error(s.location(), label + " " + s.text().strip() + " " + why + "; " + fix);
            return fallback;
        }
        return d.orElse(fallback);
    }

    private Duration dpdDelay(Node.Scalar s, String label) {
        String t = s.text().strip().toLowerCase(Locale.ROOT);
        if (t.equals("off") || t.equals("0") || t.equals("0s")) {
            return Duration.ZERO;
        }
        String fix = "give 1s..1h, e.g. 30s (the default), or off";
        Optional<Duration> d = duration(s, label, fix);
        if (d.isPresent() && d.get().compareTo(MAX_DPD_DELAY) > 0) {
            v.error(s.location(), label + " " + s.text().strip() + " is too long: a dead peer would go unnoticed; " + fix);
            return IkeSite.DEFAULT_DPD_DELAY;
        }
        return d.orElse(IkeSite.DEFAULT_DPD_DELAY);
    }

    /** Default: {@code start} with an endpoint (an always-on site link), {@code none} without (we cannot dial). */
    private StartAction startAction(Node.Mapping r, boolean hasEndpoint) {
        StartAction fallback = hasEndpoint ? StartAction.START : StartAction.NONE;
        Optional<Node.Scalar> s = v.scalar(r, "start_action");
        if (s.isEmpty()) {
            return fallback;
        }
        String w = s.get().text().strip().toLowerCase(Locale.ROOT);
        Optional<StartAction> a = StartAction.of(w);
        if (a.isEmpty()) {
            String hint = switch (w) {
                case "route" -> "; ipsec.conf's auto=route is trap here";
                case "add" -> "; ipsec.conf's auto=add is none here";
                default -> "";
            };
            v.error(s.get().location(), v.label(r, "start_action") + " '" + s.get().text().strip() + "' is not known; "
                    + "write start (initiate when the gateway starts), trap (on the first packet) or none (only answer)" + hint);
            return fallback;
        }
        if (a.get() != StartAction.NONE && !hasEndpoint) {
            v.error(s.get().location(), v.label(r, "start_action") + " " + w + " needs an endpoint to initiate to; add "
                    + "endpoint: with the peer's address, or write start_action: none to only answer");
        }
        return a.get();
    }

    private static String text(Duration d) {
        return d.toSeconds() % 3600 == 0 ? d.toHours() + "h" : d.toSeconds() % 60 == 0 ? d.toMinutes() + "m" : d.toSeconds() + "s";
    }
}
