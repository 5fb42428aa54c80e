package sitelink.control;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.snmp4j.CommunityTarget;
import org.snmp4j.MessageDispatcherImpl;
import org.snmp4j.PDU;
import org.snmp4j.ScopedPDU;
import org.snmp4j.Snmp;
import org.snmp4j.Target;
import org.snmp4j.UserTarget;
import org.snmp4j.mp.MPv2c;
import org.snmp4j.mp.MPv3;
import org.snmp4j.mp.SnmpConstants;
import org.snmp4j.security.AuthHMAC192SHA256;
import org.snmp4j.security.PrivAES128;
import org.snmp4j.security.SecurityLevel;
import org.snmp4j.security.SecurityModel;
import org.snmp4j.security.SecurityProtocols;
import org.snmp4j.security.USM;
import org.snmp4j.security.UsmUser;
import org.snmp4j.smi.Integer32;
import org.snmp4j.smi.OID;
import org.snmp4j.smi.OctetString;
import org.snmp4j.smi.TimeTicks;
import org.snmp4j.smi.UdpAddress;
import org.snmp4j.smi.VariableBinding;
import org.snmp4j.transport.DefaultUdpTransportMapping;
import sitelink.config.SnmpTarget;

/**
 * Tunnel events as SNMP notifications (SNMPv2-Trap PDUs) to one receiver, described by SITELINK-MIB (mib/ in the
 * repository): {@code sitelinkTunnelUp}, {@code sitelinkTunnelDown}, {@code sitelinkTunnelRekeyFailed}, each with the
 * site, peer, interface, endpoint, state and reason as varbinds after sysUpTime.0 and snmpTrapOID.0. SNMPv3 is sent
 * authPriv with HMAC-192-SHA-256 (RFC 7860) and AES-128 (RFC 3826), from this gateway's own engine ID (the sender of
 * a trap is the authoritative engine); SNMPv2c with the community. Traps are unconfirmed UDP: a receiver that is
 * down loses them, as with syslog over UDP, so status and metrics stay the record.
 */
public final class SnmpTrapSender implements AutoCloseable {
    /** SITELINK-MIB: sitelinkMIB = enterprises.32473 (RFC 5612's documentation number, a placeholder). */
    public static final OID MIB = new OID("1.3.6.1.4.1." + SnmpTarget.ENTERPRISE);
    static final OID NOTIFICATIONS = new OID(MIB).append(0);
    static final OID OBJECTS = new OID(MIB).append(1);
    public static final OID TUNNEL_UP = new OID(NOTIFICATIONS).append(1);
    public static final OID TUNNEL_DOWN = new OID(NOTIFICATIONS).append(2);
    public static final OID TUNNEL_REKEY_FAILED = new OID(NOTIFICATIONS).append(3);
    public static final OID TUNNEL_CERTIFICATE_EXPIRING = new OID(NOTIFICATIONS).append(4);
    public static final OID SITE = scalar(1);
    public static final OID PEER = scalar(2);
    public static final OID INTERFACE = scalar(3);
    public static final OID ENDPOINT = scalar(4);
    public static final OID STATE = scalar(5);
    public static final OID REASON = scalar(6);
    public static final OID PUBLIC_KEY = scalar(7);
    /** SitelinkText's size limit. */
    static final int MAX_TEXT = 1024;

    private final SnmpTarget config;
    private final Snmp snmp;
    private final Target<UdpAddress> target;
    private final Instant started;
    private final byte[] engineId;

    /** Resolves the receiver's host now (a name) and opens an unbound-port UDP socket. */
    public SnmpTrapSender(SnmpTarget config, Instant started) throws IOException {
        this.config = config;
        this.started = started;
        this.engineId = config.engineId();
        InetAddress host = InetAddress.getByName(config.host());
        UdpAddress to = new UdpAddress(host, config.port());
        MessageDispatcherImpl dispatcher = new MessageDispatcherImpl();
        if (config.version() == SnmpTarget.Version.V3) {
            SecurityProtocols protocols = new SecurityProtocols(SecurityProtocols.SecurityProtocolSet.none);
            protocols.addAuthenticationProtocol(new AuthHMAC192SHA256());
            protocols.addPrivacyProtocol(new PrivAES128());
            USM usm = new USM(protocols, new OctetString(engineId), 0);
            OctetString user = new OctetString(config.user().orElseThrow());
            usm.addUser(user, new OctetString(engineId), new UsmUser(user, AuthHMAC192SHA256.ID,
                    new OctetString(config.auth().orElseThrow().bytes()), PrivAES128.ID,
                    new OctetString(config.priv().orElseThrow().bytes())));
            dispatcher.addMessageProcessingModel(new MPv3(engineId, null, protocols, securityModels(usm),
                    org.snmp4j.mp.CounterSupport.getInstance()));
            UserTarget<UdpAddress> t = new UserTarget<>(to, user, engineId, SecurityLevel.AUTH_PRIV);
            t.setVersion(SnmpConstants.version3);
            t.setSecurityModel(SecurityModel.SECURITY_MODEL_USM);
            target = t;
        } else {
            dispatcher.addMessageProcessingModel(new MPv2c());
            CommunityTarget<UdpAddress> t = new CommunityTarget<>(to, new OctetString(config.community().orElseThrow()));
            t.setVersion(SnmpConstants.version2c);
            target = t;
        }
        target.setRetries(0);
        target.setTimeout(1000);
        snmp = new Snmp(dispatcher, new DefaultUdpTransportMapping());
        snmp.listen(); // binds the socket; notifications are never answered, so nothing arrives on it
    }

    private static org.snmp4j.security.SecurityModels securityModels(USM usm) {
        org.snmp4j.security.SecurityModels m = new org.snmp4j.security.SecurityModels();
        m.addSecurityModel(usm);
        return m;
    }

    private static OID scalar(int n) {
        return new OID(OBJECTS).append(n).append(0);
    }

    public SnmpTarget target() {
        return config;
    }

    /** The notification for an event: what {@link #send} puts on the wire, for tests and logs. */
    PDU pdu(TunnelEvent e) {
        PDU pdu = config.version() == SnmpTarget.Version.V3 ? new ScopedPDU() : new PDU();
        pdu.setType(PDU.NOTIFICATION);
        long centis = Math.max(0, Duration.between(started, e.at()).toMillis() / 10);
        pdu.add(new VariableBinding(SnmpConstants.sysUpTime, new TimeTicks(centis & 0xffffffffL)));
        pdu.add(new VariableBinding(SnmpConstants.snmpTrapOID, switch (e.kind()) {
            case UP -> TUNNEL_UP;
            case DOWN -> TUNNEL_DOWN;
            case REKEY_FAILED -> TUNNEL_REKEY_FAILED;
            case CERTIFICATE_EXPIRING -> TUNNEL_CERTIFICATE_EXPIRING;
        }));
        for (VariableBinding vb : List.of(
                new VariableBinding(SITE, text(e.site())),
                new VariableBinding(PEER, text(e.peer())),
                new VariableBinding(INTERFACE, text(e.iface())),
                new VariableBinding(ENDPOINT, text(e.endpoint())),
                new VariableBinding(STATE, new Integer32(state(e.state()))),
                new VariableBinding(REASON, text(e.reason())),
                new VariableBinding(PUBLIC_KEY, text(e.publicKey())))) {
            pdu.add(vb);
        }
        return pdu;
    }

    /** SITELINK-MIB's SitelinkText: UTF-8, at most {@link #MAX_TEXT} octets, cut at a character boundary. */
    static OctetString text(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length <= MAX_TEXT) {
            return new OctetString(b);
        }
        int end = MAX_TEXT;
        while (end > 0 && (b[end] & 0xC0) == 0x80) { // b[end] continues a character: cut before that character
            end--;
        }
        return new OctetString(java.util.Arrays.copyOf(b, end));
    }

    /** SITELINK-MIB's SitelinkTunnelState: established(1), connecting(2), idle(3), down(4). */
    static int state(TunnelState s) {
        return switch (s) {
            case ESTABLISHED -> 1;
            case CONNECTING -> 2;
            case IDLE -> 3;
            case DOWN -> 4;
        };
    }

    public void send(TunnelEvent e) throws IOException {
        snmp.send(pdu(e), target);
    }

    @Override
    public void close() {
        try {
            snmp.close();
        } catch (IOException e) {
            // closing a UDP socket: nothing to tell
        }
        java.util.Arrays.fill(engineId, (byte) 0);
    }
}
