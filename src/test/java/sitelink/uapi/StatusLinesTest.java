package sitelink.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;
import sitelink.route.Prefix;

/** get_status=1: what the device formats, status parses back to the same facts. */
class StatusLinesTest {
    private static Key key(int b) {
        byte[] k = new byte[32];
        k[0] = (byte) b;
        k[31] = (byte) 0xa5;
        return Key.of(k);
    }

    private static List<String> lines(String text) {
        return List.of(text.split("\n"));
    }

    @Test
    void everyFieldSurvivesTheRoundTrip() {
        Instant t = Instant.ofEpochMilli(1_740_830_400_123L);
        TreeMap<String, Long> drops = new TreeMap<>();
        drops.put("mac1_invalid", 7L);
        drops.put("source_not_allowed", 2L);
        PeerStatus full = new PeerStatus(key(2), "office-b", Optional.of(new InetSocketAddress("198.18.0.2", 51820)),
                Optional.of(t), true, true, 12, Optional.of(t.plusMillis(5)), Optional.of(t.plusMillis(6)), 4,
                Optional.of(t.plusMillis(9)),
                Optional.of(t.plusMillis(7)), Optional.of("handshake_response_invalid"), Optional.of(t.plusMillis(8)),
                Optional.of(new InetSocketAddress("2001:db8::2", 4500)), 1, 2, 3, 4, 25, 5, drops,
                List.of(Prefix.parse("198.19.2.0/24"), Prefix.parse("2001:db8:2::/48")),
                Optional.of("key epoch 3, agreed at 2026-11-29T04:00:00Z (3 exchanges, 0 messages refused, we start them)"),
                Optional.of("no post-quantum key exchange for 180 s (last at 2026-11-29T04:00:00Z): traffic held back"));
        PeerStatus bare = new PeerStatus(key(3), "", Optional.empty(), Optional.empty(), false, false, 0,
                Optional.empty(), Optional.empty(), 0, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), 0, 0, 0, 0, 0, 0, new TreeMap<>(), List.of(), Optional.empty(), Optional.empty());
        TreeMap<String, Long> counters = new TreeMap<>();
        counters.put("drop_unknown_peer", 3L);
        DeviceStatus s = new DeviceStatus("sl-a", "office-a", Optional.of(key(1)), 51820, t, counters, List.of(full, bare));

        String text = StatusLines.format(s);
        assertEquals(s, StatusLines.parse(lines(text)));
        assertEquals("peer=" + key(3).toHex() + "\nname=\nhas_session=false", text.substring(
                text.indexOf("peer=" + key(3).toHex()), text.indexOf("has_session=false", text.indexOf("peer=" + key(3).toHex()))
                        + "has_session=false".length()), "absent values are left out, not written empty");
        assertEquals(true, text.contains("last_failure_from=[2001:db8::2]:4500\n"), text);
    }

    @Test
    void aPlainDeviceWithoutPeersOrKey() {
        DeviceStatus s = new DeviceStatus("wg0", "", Optional.empty(), 0, Instant.ofEpochMilli(5), new TreeMap<>(), List.of());
        assertEquals(s, StatusLines.parse(lines(StatusLines.format(s))));
    }

    @Test
    void unknownKeysFromANewerDeviceAreSkipped() {
        DeviceStatus s = new DeviceStatus("sl-a", "office-a", Optional.of(key(1)), 51820, Instant.ofEpochMilli(9),
                new TreeMap<>(), List.of(new PeerStatus(key(2), "office-b", Optional.empty(), Optional.empty(), false,
                false, 1, Optional.empty(), Optional.empty(), 0, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), 10, 20, 0, 0, 0, 0, new TreeMap<>(), List.of(), Optional.empty(), Optional.empty())));
        List<String> l = new ArrayList<>(lines(StatusLines.format(s)));
        l.add(1, "future_device_field=1");
        l.add("future_peer_field=x");
        l.add("not a key value line");
        assertEquals(s, StatusLines.parse(l));
    }

    /** IKEv2 sites after the WireGuard peers: every field back, two CHILD SAs (a rekey's old and new), and a site that is down. */
    @Test
    void ikeSitesRoundTrip() {
        Instant t = Instant.ofEpochMilli(1_700_000_000_123L);
        sitelink.ipsec.IpsecSiteStatus up = new sitelink.ipsec.IpsecSiteStatus("branch", sitelink.ipsec.IpsecSite.idOf("branch"),
                "ESTABLISHED", Optional.of(new java.net.InetSocketAddress("198.51.100.2", 4500)),
                Optional.of("aes256gcm16-prfsha256-modp2048"), 0x8000_0000_0000_0001L, 0x1234L, true, Optional.of(t),
                List.of(new sitelink.ipsec.IpsecSiteStatus.Child(0xc0000001, 0x00000002, "aes256gcm16", "[198.18.1.0/24]",
                                "[198.18.3.0/24, 198.18.4.0/24]", t, false),
                        new sitelink.ipsec.IpsecSiteStatus.Child(0x00000003, 0xf0000004, "aes256gcm16", "[198.18.1.0/24]",
                                "[198.18.3.0/24]", t.plusSeconds(3), true)),
                Optional.empty(), Optional.empty(), Optional.empty(), 1, 2, 3, 4, Optional.of("classical only (modp2048)"));
        sitelink.ipsec.IpsecSiteStatus down = new sitelink.ipsec.IpsecSiteStatus("cloud", sitelink.ipsec.IpsecSite.idOf("cloud"),
                "DOWN", Optional.empty(), Optional.empty(), 0, 0, false, Optional.empty(), List.of(),
                Optional.of("AUTHENTICATION_FAILED: the pre-shared keys differ"), Optional.of(t), Optional.of(t.plusSeconds(8)),
                0, 0, 0, 0, Optional.empty());
        DeviceStatus s = new DeviceStatus("sl-a", "office-a", Optional.of(key(1)), 51820, t, new TreeMap<>(), List.of(),
                List.of(up, down));
        assertEquals(s, StatusLines.parse(lines(StatusLines.format(s))));
    }

    /** A site with certificates: when ours and the peer's expire travel too. */
    @Test
    void certificateExpiriesRoundTrip() {
        Instant t = Instant.ofEpochMilli(1_700_000_000_123L);
        sitelink.ipsec.IpsecSiteStatus site = new sitelink.ipsec.IpsecSiteStatus("branch", sitelink.ipsec.IpsecSite.idOf("branch"),
                "WAITING", Optional.empty(), Optional.empty(), 0, 0, false, Optional.empty(), List.of(), Optional.empty(),
                Optional.empty(), Optional.empty(), 0, 0, 0, 0, Optional.empty(), Optional.of(t.plusSeconds(86_400)),
                Optional.of(t.plusSeconds(2 * 86_400)));
        DeviceStatus s = new DeviceStatus("sl-a", "office-a", Optional.of(key(1)), 51820, t, new TreeMap<>(), List.of(),
                List.of(site));
        String text = StatusLines.format(s);
        org.junit.jupiter.api.Assertions.assertTrue(text.contains("certificate_expires_ms=" + (t.toEpochMilli() + 86_400_000L) + "\n"), text);
        assertEquals(s, StatusLines.parse(lines(text)));
    }

    /** A WAITING site's status with a pre-shared key file's age and an awaited ID, in a device's status at {@code t}. */
    private static DeviceStatus waiting(Instant t, Optional<Instant> pskChanged, Optional<String> awaitedId) {
        sitelink.ipsec.IpsecSiteStatus site = new sitelink.ipsec.IpsecSiteStatus("branch", sitelink.ipsec.IpsecSite.idOf("branch"),
                "WAITING", Optional.empty(), Optional.empty(), 0, 0, false, Optional.empty(), List.of(), Optional.empty(),
                Optional.empty(), Optional.empty(), 0, 0, 0, 0, Optional.empty(), Optional.empty(), Optional.empty(),
                pskChanged, awaitedId);
        return new DeviceStatus("sl-a", "office-a", Optional.of(key(1)), 51820, t, new TreeMap<>(), List.of(), List.of(site));
    }

    @Test
    void theAwaitedIdRoundTrips() {
        DeviceStatus s = waiting(Instant.ofEpochMilli(1_700_000_000_123L), Optional.empty(),
                Optional.of("CN=kiosk-1.example.org,O=Example"));
        assertEquals(s, StatusLines.parse(lines(StatusLines.format(s))));
    }

    @Test
    void thePreSharedKeysAgeRoundTrips() {
        Instant t = Instant.ofEpochMilli(1_700_000_000_123L);
        DeviceStatus s = waiting(t, Optional.of(t.minusSeconds(97 * 86_400)), Optional.empty());
        String text = StatusLines.format(s);
        org.junit.jupiter.api.Assertions.assertTrue(text.contains("psk_changed_ms=" + (t.toEpochMilli() - 97 * 86_400_000L) + "\n"), text);
        assertEquals(s, StatusLines.parse(lines(text)));
    }
}
