package sitelink.ike;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Certificate authentication for one remote site: our certificate chain (ours first, then any intermediate CAs),
 * our private key (RSA of at least 2048 bits, ECDSA P-256/384/521, Ed25519), the CAs whose certificates we accept
 * from the peer (trust anchors) and their CRLs (read by the caller; nothing is fetched from the network).
 *
 * @throws IllegalArgumentException when the chain or anchors are empty, the key type is unsupported, or the key is
 *                                  not the one of the first certificate
 */
public record IkeCertificates(List<X509Certificate> chain, PrivateKey privateKey, List<X509Certificate> trustAnchors,
                              List<X509CRL> crls, boolean rsaPss) {
    /** Signing with RSA PKCS#1 v1.5 (the default: every RFC 7427 peer verifies it). */
    public IkeCertificates(List<X509Certificate> chain, PrivateKey privateKey, List<X509Certificate> trustAnchors,
                           List<X509CRL> crls) {
        this(chain, privateKey, trustAnchors, crls, false);
    }

    /**
     * {@code rsaPss}: our signatures are RSASSA-PSS (the site's {@code rsa_pss: yes}), which only an RSA key makes.
     */
    public IkeCertificates {
        chain = List.copyOf(chain);
        trustAnchors = List.copyOf(trustAnchors);
        crls = List.copyOf(crls);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("no certificate of this site given");
        }
        if (trustAnchors.isEmpty()) {
            throw new IllegalArgumentException("no CA certificate given: without one no peer certificate can be accepted");
        }
        SignatureAuth.unsupportedKey(privateKey).ifPresent(why -> {
            throw new IllegalArgumentException("this site's private key is " + why);
        });
        if (rsaPss && !(privateKey instanceof java.security.interfaces.RSAKey)) {
            throw new IllegalArgumentException("RSASSA-PSS signatures (rsa_pss: yes) need an RSA key, and this site's key is "
                    + privateKey.getAlgorithm());
        }
        if (!matches(chain.get(0), privateKey)) {
            throw new IllegalArgumentException("the private key does not belong to the certificate "
                    + chain.get(0).getSubjectX500Principal().getName());
        }
    }

    /** Ours, then the intermediates; a self-signed CA in the file is left out, as the peer must have it already. */
    List<X509Certificate> toSend() {
        return chain.stream().filter(c -> c == chain.get(0) || !c.getSubjectX500Principal().equals(c.getIssuerX500Principal())).toList();
    }

    /** The CERTREQ data for X.509 (RFC 7296 section 3.7): SHA-1 of each trusted CA's SubjectPublicKeyInfo, concatenated. */
    byte[] authorityHashes() {
        try {
            Writer w = new Writer();
            for (X509Certificate ca : trustAnchors) {
                w.bytes(MessageDigest.getInstance("SHA-1").digest(ca.getPublicKey().getEncoded())); // fixed by the RFC
            }
            return w.toByteArray();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean matches(X509Certificate cert, PrivateKey key) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        try {
            byte[] probe = "sitelink key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(cert.getPublicKey());
            s.update(probe);
            return s.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() { // never the key
        return "IkeCertificates[" + chain.get(0).getSubjectX500Principal().getName() + ", " + chain.size() + " in chain, "
                + trustAnchors.size() + " CAs, " + crls.size() + " CRLs]";
    }
}
