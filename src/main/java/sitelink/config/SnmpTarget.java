package sitelink.config;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * An SNMP trap receiver of {@code events: {snmp: [...]}} (docs/status.md): SNMPv3 with authPriv (HMAC-SHA-256 and
 * AES-128, the secure default) or SNMPv2c with a community. Passphrases come from files (mode 0600, like key files)
 * and never appear in {@code toString}.
 *
 * @param host     an address or a name, resolved when the gateway starts
 * @param engineId the snmpEngineID this gateway sends v3 traps with (the receiver must know it: Net-SNMP's
 *                 {@code createUser -e ENGINEID ...}); {@link #defaultEngineId} unless the file gives one
 */
public record SnmpTarget(String host, int port, Version version, Optional<String> community, Optional<String> user,
                         Optional<Passphrase> auth, Optional<Passphrase> priv, byte[] engineId) {
    public static final int DEFAULT_PORT = 162;
    /** IANA's Private Enterprise Number for documentation (RFC 5612), the placeholder of SITELINK-MIB. */
    public static final int ENTERPRISE = 32473;
    /** The first five octets of {@link #defaultEngineId}: 0x80 | enterprise number, format 4 (text). */
    public static final String ENGINE_ID_TEXT_PREFIX_HEX = "80007ed904";
    /** RFC 3414 section 11.2: USM passphrases are at least 8 characters. */
    public static final int MIN_PASSPHRASE = 8;

    public enum Version {
        V2C("2c"), V3("3");

        public final String word;

        Version(String word) {
            this.word = word;
        }
    }

    /** A USM passphrase: its bytes, never printed. */
    public static final class Passphrase {
        private final byte[] bytes;

        public Passphrase(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Passphrase p && java.security.MessageDigest.isEqual(bytes, p.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "(passphrase)";
        }
    }

    public SnmpTarget {
        Objects.requireNonNull(host);
        engineId = engineId.clone();
    }

    @Override
    public byte[] engineId() {
        return engineId.clone();
    }

    /**
     * RFC 3411's text format: 0x80 | enterprise number, format 4 (text), then the site name: stable across restarts,
     * different per site, and shown by {@code sitelink check} so the receiver can be told it.
     */
    public static byte[] defaultEngineId(String siteName) {
        byte[] name = siteName.getBytes(StandardCharsets.UTF_8);
        byte[] id = new byte[5 + Math.min(name.length, 27)];
        id[0] = (byte) (0x80 | (ENTERPRISE >>> 24));
        id[1] = (byte) (ENTERPRISE >>> 16);
        id[2] = (byte) (ENTERPRISE >>> 8);
        id[3] = (byte) ENTERPRISE;
        id[4] = 4;
        System.arraycopy(name, 0, id, 5, id.length - 5);
        return id;
    }

    public String engineIdHex() {
        return HexFormat.of().formatHex(engineId);
    }

    /** "198.51.100.9:162 (v3 user sitelink, SHA-256/AES-128)" or "... (v2c)"; no secret. */
    public String describe() {
        String where = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        return where + (version == Version.V3 ? " (v3 user " + user.orElse("?") + ", authPriv SHA-256/AES-128, engine ID "
                + engineIdHex() + ")" : " (v2c)");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SnmpTarget t && host.equals(t.host) && port == t.port && version == t.version
                && community.equals(t.community) && user.equals(t.user) && auth.equals(t.auth)
                && priv.equals(t.priv) && Arrays.equals(engineId, t.engineId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port, version, community, user, Arrays.hashCode(engineId));
    }

    @Override
    public String toString() {
        return "SnmpTarget[" + describe() + "]";
    }
}
