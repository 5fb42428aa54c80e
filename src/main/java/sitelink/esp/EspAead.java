package sitelink.esp;

/** The ESP AEADs we carry: AES-GCM with a 16-byte ICV (RFC 4106) and ChaCha20-Poly1305 (RFC 7634). */
public enum EspAead {
    AES_GCM_16("AES/GCM/NoPadding", "AES"),
    CHACHA20_POLY1305("ChaCha20-Poly1305", "ChaCha20");

    final String transformation, keyAlgorithm;

    EspAead(String transformation, String keyAlgorithm) {
        this.transformation = transformation;
        this.keyAlgorithm = keyAlgorithm;
    }
}
