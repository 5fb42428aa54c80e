package sitelink.pki;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Certificates and CRLs in words, for {@code sitelink pki show}: what an operator checks, no key material. */
public final class Describe {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);
    private static final Map<Integer, String> ALT_TYPES = Map.of(1, "email", 2, "dns", 7, "ip", 6, "uri", 4, "dn");
    private static final String[] USAGES = {"digitalSignature", "nonRepudiation", "keyEncipherment",
            "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"};
    private static final Map<String, String> PURPOSES = Map.of("1.3.6.1.5.5.7.3.1", "serverAuth",
            "1.3.6.1.5.5.7.3.2", "clientAuth", "1.3.6.1.5.5.7.3.17", "ipsecIKE", "1.3.6.1.5.5.8.2.2", "ikeIntermediate");

    private Describe() {
    }

    public static String serial(BigInteger s) {
        return "0x" + s.toString(16).toUpperCase(java.util.Locale.ROOT);
    }

    public static String time(Instant t) {
        return TIME.format(t);
    }

    public static String certificate(X509Certificate c, Instant now) {
        StringBuilder b = new StringBuilder();
        line(b, "subject", c.getSubjectX500Principal().getName());
        line(b, "issuer", c.getIssuerX500Principal().getName()
                + (c.getSubjectX500Principal().equals(c.getIssuerX500Principal()) ? " (self-signed)" : ""));
        line(b, "serial", serial(c.getSerialNumber()));
        line(b, "valid from", time(c.getNotBefore().toInstant()));
        line(b, "valid until", time(c.getNotAfter().toInstant()) + " (" + expiry(c, now) + ")");
        List<String> alt = altNames(c);
        line(b, "altNames", alt.isEmpty() ? "none" : String.join(", ", alt));
        line(b, "key", KeyType.describe(c.getPublicKey()));
        line(b, "signature", c.getSigAlgName());
        int pathLen = c.getBasicConstraints();
        line(b, "CA", pathLen < 0 ? "no" : pathLen == Integer.MAX_VALUE ? "yes" : "yes, path length " + pathLen);
        boolean[] ku = c.getKeyUsage();
        if (ku != null) {
            List<String> u = new ArrayList<>();
            for (int i = 0; i < ku.length && i < USAGES.length; i++) {
                if (ku[i]) {
                    u.add(USAGES[i]);
                }
            }
            line(b, "keyUsage", String.join(", ", u));
        }
        try {
            List<String> eku = c.getExtendedKeyUsage();
            if (eku != null) {
                line(b, "extKeyUsage", String.join(", ", eku.stream().map(o -> PURPOSES.getOrDefault(o, o)).toList()));
            }
        } catch (CertificateParsingException e) {
            line(b, "extKeyUsage", "unreadable (" + e.getMessage() + ")");
        }
        try {
            line(b, "SHA-256", HexFormat.ofDelimiter(":").withUpperCase()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded())));
        } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
            line(b, "SHA-256", "unavailable (" + e.getMessage() + ")");
        }
        return b.toString();
    }

    /** "expires in 364 days", "expires in 5 hours", or "EXPIRED 3 days ago", "NOT YET VALID". */
    public static String expiry(X509Certificate c, Instant now) {
        Instant from = c.getNotBefore().toInstant();
        Instant until = c.getNotAfter().toInstant();
        if (now.isBefore(from)) {
            return "NOT YET VALID: valid from " + time(from);
        }
        if (!now.isBefore(until)) {
            return "EXPIRED " + span(Duration.between(until, now)) + " ago";
        }
        return "expires in " + span(Duration.between(now, until));
    }

    private static String span(Duration d) {
        long days = d.toDays();
        return days >= 2 ? days + " days" : d.toHours() >= 2 ? d.toHours() + " hours" : d.toMinutes() + " minutes";
    }

    public static List<String> altNames(X509Certificate c) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> names = c.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> n : names) {
                    out.add(ALT_TYPES.getOrDefault((Integer) n.get(0), "type" + n.get(0)) + ":" + n.get(1));
                }
            }
        } catch (CertificateParsingException e) {
            out.add("unreadable (" + e.getMessage() + ")");
        }
        return out;
    }

    public static String crl(X509CRL crl, Instant now) {
        StringBuilder b = new StringBuilder();
        line(b, "CRL of", crl.getIssuerX500Principal().getName());
        CertificateAuthority.crlNumber(crl).ifPresent(n -> line(b, "number", n.toString()));
        line(b, "this update", time(crl.getThisUpdate().toInstant()));
        if (crl.getNextUpdate() != null) {
            Instant next = crl.getNextUpdate().toInstant();
            line(b, "next update", time(next) + (now.isBefore(next) ? ""
                    : " (OVERDUE: peers that check CRLs may refuse every certificate; run sitelink pki revoke --renew)"));
        }
        var revoked = crl.getRevokedCertificates();
        line(b, "revoked", revoked == null ? "none" : Integer.toString(revoked.size()));
        if (revoked != null) {
            revoked.stream().sorted(java.util.Comparator.comparing(X509CRLEntry::getRevocationDate)).forEach(e ->
                    b.append("  ").append(serial(e.getSerialNumber())).append("  ")
                            .append(time(e.getRevocationDate().toInstant()))
                            .append(e.getRevocationReason() == null ? "" : "  " + e.getRevocationReason()).append('\n'));
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String key, String value) {
        b.append(String.format("%-12s %s%n", key + ":", value));
    }
}
