package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.device.DeviceUpdate;
import sitelink.device.PeerUpdate;
import sitelink.route.Prefix;

/**
 * examples/office-a.yaml and office-b.yaml are a matching pair: each names the other's public key. The examples
 * carry no private keys; the test puts RFC 7748's Alice and Bob keys beside them, whose public keys the examples hold.
 */
public class ExamplesTest {
    static final Key ALICE = Key.fromBase64(SiteFileTest.ALICE_PRIVATE);
    static final Key BOB = Key.fromBase64("XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=");

    /** Copies the examples into {@code dir} with their key files, mode 0600 as the docs tell users to create them. */
    public static Path examples(Path dir) throws Exception {
        for (String n : List.of("office-a.yaml", "office-b.yaml")) {
            Files.copy(Path.of("examples", n), dir.resolve(n), StandardCopyOption.REPLACE_EXISTING);
        }
        for (var e : Map.of("office-a.key", ALICE, "office-b.key", BOB).entrySet()) {
            Path k = dir.resolve(e.getKey());
            Files.writeString(k, e.getValue().toBase64() + "\n");
            Files.setPosixFilePermissions(k, PosixFilePermissions.fromString("rw-------"));
        }
        return dir;
    }

    @Test
    void officeAProducesTheExpectedDeviceUpdate(@TempDir Path dir) throws Exception {
        SiteConfig a = SiteFile.load(examples(dir).resolve("office-a.yaml")).orThrow();
        RemoteSite b = a.remoteSites().get(0);
        InetSocketAddress bAt = b.endpoint().orElseThrow().resolve();
        assertEquals(new InetSocketAddress("198.18.0.2", 51820), bAt);
        DeviceUpdate expected = new DeviceUpdate(Optional.of(ALICE), OptionalInt.of(51820), OptionalInt.of(0), true,
                List.of(new PeerUpdate(X25519.publicKey(BOB), false, false, Optional.empty(), Optional.of(bAt),
                        OptionalInt.of(25), true, List.of(Prefix.parse("198.18.2.0/24"), Prefix.parse("198.19.0.2/32")))));
        assertEquals(expected, a.toDeviceUpdate(Map.of(b, bAt)));
        assertEquals(List.of(Prefix.parse("198.18.1.0/24")), a.localSubnets());
        assertEquals(new TunnelInterface("sl-b", List.of(InterfaceAddress.parse("198.19.0.1/30")), 1420, TunnelInterface.MAIN_TABLE), a.tunnel());
    }

    @Test
    void thePairMatches(@TempDir Path dir) throws Exception {
        SiteConfig a = SiteFile.load(examples(dir).resolve("office-a.yaml")).orThrow();
        SiteConfig b = SiteFile.load(dir.resolve("office-b.yaml")).orThrow();
        assertEquals(b.publicKey(), a.remoteSite("office-b").orElseThrow().publicKey());
        assertEquals(a.publicKey(), b.remoteSite("office-a").orElseThrow().publicKey());
        assertEquals(b.localSubnets().get(0), a.remoteSites().get(0).remoteSubnets().get(0));
        assertEquals(a.localSubnets().get(0), b.remoteSites().get(0).remoteSubnets().get(0));
        assertEquals(List.of(), SiteFile.load(dir.resolve("office-b.yaml")).problems());
    }

    @Test
    void anUnresolvedEndpointLeavesThePeerWithoutOne(@TempDir Path dir) throws Exception {
        SiteConfig a = SiteFile.load(examples(dir).resolve("office-a.yaml")).orThrow();
        assertEquals(Optional.empty(), a.toDeviceUpdate(Map.of()).peers().get(0).endpoint());
    }

    /** examples/office-a-ipsec.yaml: an IKEv2 site with every field written out, beside a PSK of 44 characters. */
    @Test
    void theIpsecExampleIsAValidIkeSite(@TempDir Path dir) throws Exception {
        Files.copy(Path.of("examples", "office-a-ipsec.yaml"), dir.resolve("office-a-ipsec.yaml"));
        examples(dir);
        Path psk = dir.resolve("office-a-branch.psk");
        Files.writeString(psk, BOB.toBase64() + "\n"); // what 'sitelink genpsk' writes: 44 characters
        Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString("rw-------"));
        SiteFile f = SiteFile.load(dir.resolve("office-a-ipsec.yaml"));
        assertEquals(List.of(), f.problems());
        SiteConfig c = f.orThrow();
        assertEquals(List.of(), c.remoteSites());
        IkeSite b = c.ikeSite("branch").orElseThrow();
        assertEquals(Optional.of(new Endpoint("198.51.100.2", 500)), b.endpoint());
        assertEquals(List.of(Prefix.parse("198.18.3.0/24")), b.remoteSubnets());
        assertEquals("[ESP:aes256gcm16-modp2048-ke1_mlkem768-noesn, ESP:aes256gcm16-modp2048-noesn]", b.espProposals().toString(),
                "post_quantum: preferred: ML-KEM-768 on PFS rekeys first, classical after it");
        assertEquals(sitelink.ike.PostQuantum.PREFERRED, b.postQuantum());
        assertEquals(StartAction.START, b.startAction());
        assertEquals(List.of(), SystemChecks.files(f), "the key files are as the comments say to make them");
    }
}
