package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snmp4j.CommandResponderEvent;
import org.snmp4j.MessageDispatcherImpl;
import org.snmp4j.PDU;
import org.snmp4j.Snmp;
import org.snmp4j.mp.MPv2c;
import org.snmp4j.mp.MPv3;
import org.snmp4j.mp.SnmpConstants;
import org.snmp4j.security.AuthHMAC192SHA256;
import org.snmp4j.security.PrivAES128;
import org.snmp4j.security.SecurityModels;
import org.snmp4j.security.SecurityProtocols;
import org.snmp4j.security.USM;
import org.snmp4j.security.UsmUser;
import org.snmp4j.smi.OID;
import org.snmp4j.smi.OctetString;
import org.snmp4j.smi.UdpAddress;
import org.snmp4j.transport.DefaultUdpTransportMapping;
import sitelink.config.SnmpTarget;

/**
 * Traps as a receiver decodes them: an SNMP4J receiver on loopback (v2c with the community, v3 authPriv with the
 * user localised to the gateway's engine ID, as Net-SNMP's snmptrapd is told with {@code createUser -e}), and
 * SITELINK-MIB loaded by Net-SNMP's own parser with its names matching the OIDs sent.
 */
class SnmpTrapSenderTest {
    static final Instant START = Instant.parse("2026-11-28T12:00:00Z");
    static final TunnelEvent DOWN = new TunnelEvent(TunnelEvent.Kind.DOWN, START.plusSeconds(42), "office-a",
            "sl-office-a", "office-b", "KEY=", "198.51.100.2:51820", TunnelState.DOWN,
            "handshake attempts unanswered since …; check that office-b is running");
    static final byte[] AUTH = "auth-passphrase-1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] PRIV = "priv-passphrase-2".getBytes(StandardCharsets.US_ASCII);
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** A trap receiver on 127.0.0.1 that knows user "nms" of the given sender engine, and community "monitoring". */
    BlockingQueue<CommandResponderEvent<?>> receiver(byte[] senderEngineId, byte[] auth, int[] port) throws IOException {
        SecurityProtocols protocols = new SecurityProtocols(SecurityProtocols.SecurityProtocolSet.none);
        protocols.addAuthenticationProtocol(new AuthHMAC192SHA256());
        protocols.addPrivacyProtocol(new PrivAES128());
        USM usm = new USM(protocols, new OctetString(MPv3.createLocalEngineID()), 0);
        usm.addUser(new OctetString("nms"), new OctetString(senderEngineId), new UsmUser(new OctetString("nms"),
                AuthHMAC192SHA256.ID, new OctetString(auth), PrivAES128.ID, new OctetString(PRIV)));
        SecurityModels models = new SecurityModels();
        models.addSecurityModel(usm);
        MessageDispatcherImpl d = new MessageDispatcherImpl();
        d.addMessageProcessingModel(new MPv2c());
        d.addMessageProcessingModel(new MPv3(usm.getLocalEngineID().getValue(), null, protocols, models,
                org.snmp4j.mp.CounterSupport.getInstance()));
        DefaultUdpTransportMapping transport = new DefaultUdpTransportMapping(new UdpAddress("127.0.0.1/0"));
        Snmp snmp = new Snmp(d, transport);
        BlockingQueue<CommandResponderEvent<?>> q = new LinkedBlockingQueue<>();
        snmp.addCommandResponder(new org.snmp4j.CommandResponder() {
            @Override
            public <A extends org.snmp4j.smi.Address> void processPdu(CommandResponderEvent<A> e) {
                if (e.getPDU() != null) {
                    q.add(e);
                }
            }
        });
        snmp.listen();
        open.add(snmp);
        port[0] = transport.getListenAddress().getPort();
        return q;
    }

    SnmpTrapSender sender(SnmpTarget t) throws IOException {
        SnmpTrapSender s = new SnmpTrapSender(t, START);
        open.add(s);
        return s;
    }

    static SnmpTarget v3(int port, byte[] auth) {
        return new SnmpTarget("127.0.0.1", port, SnmpTarget.Version.V3, Optional.empty(), Optional.of("nms"),
                Optional.of(new SnmpTarget.Passphrase(auth)), Optional.of(new SnmpTarget.Passphrase(PRIV)),
                SnmpTarget.defaultEngineId("office-a"));
    }

    static void assertDownTrap(PDU pdu) {
        assertEquals(PDU.NOTIFICATION, pdu.getType());
        assertEquals(4200, pdu.getVariable(SnmpConstants.sysUpTime).toLong(), "hundredths since the gateway started");
        assertEquals(SnmpTrapSender.TUNNEL_DOWN, pdu.getVariable(SnmpConstants.snmpTrapOID));
        assertEquals("office-a", pdu.getVariable(SnmpTrapSender.SITE).toString());
        assertEquals("office-b", pdu.getVariable(SnmpTrapSender.PEER).toString());
        assertEquals("sl-office-a", pdu.getVariable(SnmpTrapSender.INTERFACE).toString());
        assertEquals("198.51.100.2:51820", pdu.getVariable(SnmpTrapSender.ENDPOINT).toString());
        assertEquals(4, pdu.getVariable(SnmpTrapSender.STATE).toInt());
        assertEquals(DOWN.reason(), new String(((OctetString) pdu.getVariable(SnmpTrapSender.REASON)).getValue(),
                StandardCharsets.UTF_8));
    }

    @Test
    void aV2cTrapCarriesTheEventWithTheCommunity() throws Exception {
        int[] port = new int[1];
        var q = receiver(new byte[5], AUTH, port);
        sender(new SnmpTarget("127.0.0.1", port[0], SnmpTarget.Version.V2C, Optional.of("monitoring"),
                Optional.empty(), Optional.empty(), Optional.empty(), new byte[0])).send(DOWN);
        CommandResponderEvent<?> e = q.poll(10, TimeUnit.SECONDS);
        assertNotNull(e, "no trap arrived");
        assertEquals("monitoring", new String(e.getSecurityName(), StandardCharsets.US_ASCII));
        assertEquals(SnmpConstants.version2c, e.getMessageProcessingModel());
        assertDownTrap(e.getPDU());
    }

    @Test
    void aV3TrapIsAuthenticatedAndEncryptedAndAWrongPassphraseIsRefused() throws Exception {
        int[] port = new int[1];
        byte[] engine = SnmpTarget.defaultEngineId("office-a");
        var q = receiver(engine, AUTH, port);
        sender(v3(port[0], AUTH)).send(DOWN);
        CommandResponderEvent<?> e = q.poll(10, TimeUnit.SECONDS);
        assertNotNull(e, "no trap arrived");
        assertEquals(SnmpConstants.version3, e.getMessageProcessingModel());
        assertEquals(org.snmp4j.security.SecurityLevel.AUTH_PRIV, e.getSecurityLevel());
        assertEquals("nms", new String(e.getSecurityName(), StandardCharsets.US_ASCII));
        assertDownTrap(e.getPDU());

        // The receiver knows another passphrase: the trap fails authentication and is never delivered.
        sender(v3(port[0], "another-passphrase".getBytes(StandardCharsets.US_ASCII))).send(DOWN);
        sender(v3(port[0], AUTH)).send(DOWN); // a marker after it: once it is here, the other was dropped
        CommandResponderEvent<?> next = q.poll(10, TimeUnit.SECONDS);
        assertNotNull(next, "the marker trap did not arrive");
        assertNull(q.poll(200, TimeUnit.MILLISECONDS), "a trap with the wrong passphrase was accepted");
    }

    @Test
    void theDefaultEngineIdIsRfc3411TextFormatUnderTheEnterpriseNumber() {
        assertEquals("80007ed9046f66666963652d61", new SnmpTarget("h", 162, SnmpTarget.Version.V3, Optional.empty(),
                Optional.of("u"), Optional.empty(), Optional.empty(), SnmpTarget.defaultEngineId("office-a")).engineIdHex());
    }

    @Test
    void longTextIsCutAtACharacterBoundary() {
        String s = "é".repeat(600); // 1200 octets
        byte[] cut = SnmpTrapSender.text(s).getValue();
        assertEquals(1024, cut.length);
        assertEquals("é".repeat(512), new String(cut, StandardCharsets.UTF_8));
        assertEquals(1023, SnmpTrapSender.text("x" + s).getValue().length, "never half a character");
    }

    /** The MIB as Net-SNMP loads it: no parse error, and every name resolves to the OID the sender uses. */
    @Test
    void netSnmpLoadsTheMibAndItsNamesAreTheOidsSent(@TempDir Path persistent) throws Exception {
        assumeTrue(sitelink.cli.PkiCommandTest.onPath("snmptranslate") || System.getenv("CI") != null,
                "snmptranslate (Debian package snmp) is not installed");
        Path mibs = Path.of("mib").toAbsolutePath();
        Path base = Path.of("src/test/resources/snmp/base-mibs").toAbsolutePath();
        assertTrue(Files.isRegularFile(mibs.resolve("SITELINK-MIB.txt")));
        // Net-SNMP's persistent directory of its own: on a machine where no Net-SNMP tool ran yet, the first one
        // creates /var/lib/snmp/cert_indexes and says so on stderr ("Created directory: ..."), which is not the MIB.
        Files.createDirectory(persistent.resolve("cert_indexes"));
        for (var n : List.of(new Object[] {"sitelinkTunnelUp", SnmpTrapSender.TUNNEL_UP},
                new Object[] {"sitelinkTunnelDown", SnmpTrapSender.TUNNEL_DOWN},
                new Object[] {"sitelinkTunnelRekeyFailed", SnmpTrapSender.TUNNEL_REKEY_FAILED},
                new Object[] {"sitelinkTunnelCertificateExpiring", SnmpTrapSender.TUNNEL_CERTIFICATE_EXPIRING},
                new Object[] {"sitelinkSite", SnmpTrapSender.SITE}, new Object[] {"sitelinkPeer", SnmpTrapSender.PEER},
                new Object[] {"sitelinkInterface", SnmpTrapSender.INTERFACE},
                new Object[] {"sitelinkEndpoint", SnmpTrapSender.ENDPOINT},
                new Object[] {"sitelinkState", SnmpTrapSender.STATE}, new Object[] {"sitelinkReason", SnmpTrapSender.REASON},
                new Object[] {"sitelinkPublicKey", SnmpTrapSender.PUBLIC_KEY})) {
            ProcessBuilder pb = new ProcessBuilder("snmptranslate", "-M", base + ":" + mibs, "-m", "SITELINK-MIB", "-IR",
                    "-On", (String) n[0]);
            pb.environment().put("SNMP_PERSISTENT_DIR", persistent.toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals("", err, "Net-SNMP's parser complained about SITELINK-MIB");
            assertEquals(0, p.exitValue());
            OID sent = new OID((OID) n[1]);
            if (!n[0].toString().startsWith("sitelinkTunnel")) {
                sent.trim(1); // an object's instance .0 is sent; the MIB names the object
            }
            assertEquals("." + sent, out, n[0] + " in the MIB vs the sender");
        }
    }
}
