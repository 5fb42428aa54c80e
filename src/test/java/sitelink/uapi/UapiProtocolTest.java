package sitelink.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sitelink.crypto.Key;
import sitelink.device.DeviceSnapshot;
import sitelink.device.DeviceUpdate;
import sitelink.device.PeerSnapshot;
import sitelink.device.PeerUpdate;
import sitelink.route.Prefix;

class UapiProtocolTest {
    static final String PRIV = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a";
    static final String PUB1 = "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33";
    static final String PSK1 = "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52";
    static final String PUB2 = "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376";
    static final String ZERO = "0".repeat(64);

    private final FakeDevice device = new FakeDevice();

    private String serve(String request) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new UapiProtocol(device).serve(new ByteArrayInputStream(request.getBytes(StandardCharsets.US_ASCII)), out);
        return out.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void getPrintsDeviceThenPeersInWireguardGoOrder() throws Exception {
        device.state = new DeviceSnapshot(Optional.of(Key.fromHex(PRIV)), 51820, 0x80000001, List.of(
                new PeerSnapshot(Key.fromHex(PUB1), Optional.of(Key.fromHex(PSK1)),
                        Optional.of(new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 51821)),
                        Optional.of(Instant.ofEpochSecond(1700000000L, 123456789)), 2000, 1000, 25,
                        List.of(Prefix.parse("198.18.0.0/15"), Prefix.parse("2001:db8:0:1::/64"))),
                new PeerSnapshot(Key.fromHex(PUB2), Optional.empty(), Optional.empty(), Optional.empty(),
                        0, 0, 0, List.of())));
        assertEquals("""
                private_key=%s
                listen_port=51820
                fwmark=2147483649
                public_key=%s
                preshared_key=%s
                protocol_version=1
                endpoint=[2001:db8::7]:51821
                last_handshake_time_sec=1700000000
                last_handshake_time_nsec=123456789
                tx_bytes=1000
                rx_bytes=2000
                persistent_keepalive_interval=25
                allowed_ip=198.18.0.0/15
                allowed_ip=2001:db8:0:1::/64
                public_key=%s
                preshared_key=%s
                protocol_version=1
                last_handshake_time_sec=0
                last_handshake_time_nsec=0
                tx_bytes=0
                rx_bytes=0
                persistent_keepalive_interval=0
                errno=0

                """.formatted(PRIV, PUB1, PSK1, PUB2, ZERO), serve("get=1\n\n"));
    }

    /** sitelink's own initiate_handshake=1: diagnose's way to start a handshake without a packet into the tunnel. */
    @Test
    void initiateHandshakeAsksTheDeviceForThatPeer() throws Exception {
        device.state = new DeviceSnapshot(Optional.empty(), 0, 0, List.of(new PeerSnapshot(Key.fromHex(PUB1),
                Optional.empty(), Optional.empty(), Optional.empty(), 0, 0, 0, List.of())));
        assertEquals("errno=0\n\n", serve("initiate_handshake=1\npublic_key=" + PUB1 + "\n\n"));
        assertEquals(List.of(Key.fromHex(PUB1)), device.handshakesAsked);
        assertEquals("errno=-2\n\n", serve("initiate_handshake=1\npublic_key=" + PUB2 + "\n\n"), "no such peer");
        assertEquals("errno=-22\n\n", serve("initiate_handshake=1\npublic_key=zz\n\n"));
        assertEquals("errno=-22\n\n", serve("initiate_handshake=1\n\n"));
    }

    @Test
    void getOfAnEmptyDeviceIsJustErrno() throws Exception {
        assertEquals("errno=0\n\n", serve("get=1\n\n"));
    }

    @Test
    void setBuildsOneUpdateFromEveryKey() throws Exception {
        String answer = serve("set=1\nprivate_key=" + PRIV + "\nlisten_port=51820\nfwmark=4294967295\nreplace_peers=true\n"
                + "public_key=" + PUB1 + "\nprotocol_version=1\npreshared_key=" + PSK1 + "\nendpoint=192.0.2.1:51820\n"
                + "persistent_keepalive_interval=25\nreplace_allowed_ips=true\nallowed_ip=198.18.0.0/15\n"
                + "allowed_ip=2001:db8::/32\n"
                + "public_key=" + PUB2 + "\nupdate_only=true\nendpoint=[2001:db8::1]:443\n"
                + "public_key=" + PUB1.replace('b', 'c') + "\nremove=true\n\n");
        assertEquals("errno=0\n\n", answer);
        assertEquals(1, device.applied.size());
        DeviceUpdate u = device.applied.get(0);
        assertEquals(Optional.of(Key.fromHex(PRIV)), u.privateKey());
        assertEquals(OptionalInt.of(51820), u.listenPort());
        assertEquals(-1, u.fwmark().getAsInt(), "fwmark is a uint32 carried in an int");
        assertTrue(u.replacePeers());
        assertEquals(3, u.peers().size());
        PeerUpdate p1 = u.peers().get(0);
        assertEquals(new PeerUpdate(Key.fromHex(PUB1), false, false, Optional.of(Key.fromHex(PSK1)),
                Optional.of(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 51820)), OptionalInt.of(25), true,
                List.of(Prefix.parse("198.18.0.0/15"), Prefix.parse("2001:db8::/32"))), p1);
        PeerUpdate p2 = u.peers().get(1);
        assertTrue(p2.updateOnly());
        assertEquals(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 443), p2.endpoint().orElseThrow());
        assertTrue(u.peers().get(2).remove());
    }

    @Test
    void setThenGetRoundTripsThroughTheDevice() throws Exception {
        String set = "set=1\nprivate_key=" + PRIV + "\nlisten_port=12345\n"
                + "public_key=" + PUB1 + "\npreshared_key=" + PSK1 + "\nendpoint=[2001:db8::1]:51820\n"
                + "persistent_keepalive_interval=15\nallowed_ip=10.1.2.3/8\nallowed_ip=2001:db8:1:2:3::9/48\n\n";
        String answer = serve(set + "get=1\n\n");
        assertTrue(answer.startsWith("errno=0\n\n"), answer);
        String get = answer.substring("errno=0\n\n".length());
        assertTrue(get.contains("private_key=" + PRIV + "\nlisten_port=12345\npublic_key=" + PUB1
                + "\npreshared_key=" + PSK1 + "\nprotocol_version=1\nendpoint=[2001:db8::1]:51820\n"), get);
        assertTrue(get.contains("persistent_keepalive_interval=15\nallowed_ip=10.0.0.0/8\nallowed_ip=2001:db8:1::/48\nerrno=0\n\n"),
                "host bits are cleared: " + get);
    }

    @Test
    void laterReplaceAllowedIpsDropsEarlierLinesOfTheSamePeer() {
        var parsed = UapiProtocol.parseSet(List.of("public_key=" + PUB1, "allowed_ip=10.0.0.0/8",
                "replace_allowed_ips=true", "allowed_ip=10.9.0.0/16"));
        PeerUpdate p = assertInstanceOf(UapiProtocol.Parsed.Update.class, parsed).update().peers().get(0);
        assertTrue(p.replaceAllowedIps());
        assertEquals(List.of(Prefix.parse("10.9.0.0/16")), p.allowedIps());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "private_key=xyz",
            "private_key=" + PRIV + "00",
            "private_key=" + "g" + "0" + "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba5202",
            "listen_port=65536",
            "listen_port=-1",
            "listen_port=+5",
            "listen_port=",
            "fwmark=4294967296",
            "replace_peers=false",
            "no_such_key=1",
            "public_key=abc",
            "public_key=" + PUB1 + "\nprotocol_version=2",
            "public_key=" + PUB1 + "\nlisten_port=1",
            "public_key=" + PUB1 + "\nno_such_key=1",
            "public_key=" + PUB1 + "\nremove=yes",
            "public_key=" + PUB1 + "\nupdate_only=1",
            "public_key=" + PUB1 + "\npreshared_key=8515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52",
            "public_key=" + PUB1 + "\npersistent_keepalive_interval=65536",
            "public_key=" + PUB1 + "\nendpoint=192.0.2.1",
            "public_key=" + PUB1 + "\nendpoint=2001:db8::1:51820",
            "public_key=" + PUB1 + "\nendpoint=[192.0.2.1]:51820",
            "public_key=" + PUB1 + "\nendpoint=example.com:51820",
            "public_key=" + PUB1 + "\nendpoint=192.0.2.01:51820",
            "public_key=" + PUB1 + "\nendpoint=192.0.2.1:65536",
            "public_key=" + PUB1 + "\nendpoint=[2001:db8::1]",
            "public_key=" + PUB1 + "\nendpoint=[2001:db8::1]:",
            "public_key=" + PUB1 + "\nendpoint=[2001:db8::1]x:1",
            "public_key=" + PUB1 + "\nendpoint=[[2001:db8::1]]:1",
            "public_key=" + PUB1 + "\nendpoint= 192.0.2.1:1",
            "public_key=" + PUB1 + "\nallowed_ip=10.0.0.0",
            "public_key=" + PUB1 + "\nallowed_ip=10.0.0.0/33",
            "public_key=" + PUB1 + "\nallowed_ip=10.0.0.0/08",
            "public_key=" + PUB1 + "\nallowed_ip=2001:db8::/129",
            "public_key=" + PUB1 + "\nallowed_ip=fe80::1%2/64",
            "public_key=" + PUB1 + "\nreplace_allowed_ips=false",
    })
    void invalidValueOrUnknownKeyAnswersEinvalAndAppliesNothing(String body) throws Exception {
        String request = "set=1\nlisten_port=1\n" + body + "\n\n"; // the valid first line must not apply either
        assertEquals("errno=-22\n\n", serve(request));
        assertEquals(List.of(), device.applied);
    }

    @Test
    void refusalLogsNameTheKeyNeverTheValue() {
        var parsed = UapiProtocol.parseSet(List.of("private_key=" + PRIV.substring(1) + "x"));
        var r = assertInstanceOf(UapiProtocol.Parsed.Rejected.class, parsed);
        assertEquals(-22, r.errno());
        assertTrue(r.reason().contains("private_key"), r.reason());
        assertFalse(r.reason().contains(PRIV.substring(1, 20)), r.reason());
    }

    @Test
    void lineWithoutEqualsIsAProtocolError() throws Exception {
        assertEquals("errno=-71\n\n", serve("set=1\nlisten_port\n\n"));
        assertEquals(List.of(), device.applied);
    }

    @Test
    void deviceRefusalAnswersItsErrno() throws Exception {
        device.failWith = -98;
        assertEquals("errno=-98\n\n", serve("set=1\nlisten_port=53\n\n"));
    }

    @Test
    void severalRequestsOnOneConnection() throws Exception {
        assertEquals("errno=0\n\nlisten_port=7\nerrno=0\n\nerrno=0\n\n",
                serve("set=1\nlisten_port=7\n\nget=1\n\nset=1\n\n"));
        assertEquals(2, device.applied.size());
    }

    @Test
    void unknownOperationHangsUpWithoutAnswer() throws Exception {
        assertEquals("", serve("frobnicate=1\n\n"));
        assertEquals("errno=-22\n\n", serve("get=1\nx\n"));
    }

    @Test
    void getCountersListsNameValueLines() throws Exception {
        device.counters.put("drop_replay", 3L);
        device.counters.put("rx_datagrams", 120L);
        assertEquals("drop_replay=3\nrx_datagrams=120\nerrno=0\n\n", serve("get_counters=1\n\n"));
    }

    @Test
    void formatsIpv6AsGoDoes() throws Exception {
        assertEquals("2001:db8::1", UapiProtocol.formatAddress(InetAddress.getByName("2001:db8:0:0:0:0:0:1")));
        assertEquals("::", UapiProtocol.formatAddress(InetAddress.getByName("::")));
        assertEquals("::1", UapiProtocol.formatAddress(InetAddress.getByName("::1")));
        assertEquals("fe80::", UapiProtocol.formatAddress(InetAddress.getByName("fe80::")));
        assertEquals("2001:db8:0:1:1:1:1:1", UapiProtocol.formatAddress(InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
        assertEquals("2001:0:0:1::1", UapiProtocol.formatAddress(InetAddress.getByName("2001:0:0:1:0:0:0:1")));
        assertEquals("2001:db8::1:0:0:1", UapiProtocol.formatAddress(InetAddress.getByName("2001:db8:0:0:1:0:0:1")));
        assertEquals("[2001:db8::1]:51820",
                UapiProtocol.formatEndpoint(UapiProtocol.parseEndpoint("[2001:DB8:0::1]:51820")));
        assertEquals("192.0.2.1:0", UapiProtocol.formatEndpoint(UapiProtocol.parseEndpoint("192.0.2.1:0")));
    }
}
