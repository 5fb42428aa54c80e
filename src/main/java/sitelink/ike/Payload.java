package sitelink.ike;

import java.util.ArrayList;
import java.util.List;

/**
 * The payloads of an IKEv2 message (RFC 7296 section 3.2 onwards), each a value with its body codec. Bodies are
 * what follows the 4-byte generic payload header; {@link IkeMessage} owns the chain and the headers.
 */
public sealed interface Payload {
    /** The payload type number. */
    int type();

    /** The body (without the generic header). */
    byte[] encodeBody();

    /** Security Association (3.3): proposals in order of preference. */
    record SecurityAssociation(List<Proposal> proposals) implements Payload {
        public SecurityAssociation {
            proposals = List.copyOf(proposals);
        }

        public int type() {
            return Ike.SA;
        }

        public byte[] encodeBody() {
            Writer w = new Writer();
            for (int i = 0; i < proposals.size(); i++) {
                Proposal p = proposals.get(i);
                Writer tw = new Writer();
                for (int j = 0; j < p.transforms().size(); j++) {
                    Transform t = p.transforms().get(j);
                    boolean attr = t.keyLength() != 0;
                    tw.u8(j == p.transforms().size() - 1 ? 0 : 3).u8(0).u16(8 + (attr ? 4 : 0))
                            .u8(t.type()).u8(0).u16(t.id());
                    if (attr) {
                        tw.u16(0x8000 | Ike.ATTR_KEY_LENGTH).u16(t.keyLength());
                    }
                }
                byte[] transforms = tw.toByteArray();
                byte[] spi = p.spi();
                w.u8(i == proposals.size() - 1 ? 0 : 2).u8(0).u16(8 + spi.length + transforms.length)
                        .u8(p.number()).u8(p.protocol()).u8(spi.length).u8(p.transforms().size()).bytes(spi).bytes(transforms);
            }
            return w.toByteArray();
        }

        static SecurityAssociation decode(Reader r) throws Malformation.Exception {
            List<Proposal> proposals = new ArrayList<>();
            boolean more = true;
            while (more) {
                if (proposals.size() >= 64) {
                    throw Malformation.BAD_PAYLOAD_BODY.exception();
                }
                int last = r.u8();
                r.u8();
                int length = r.u16();
                if (last != 0 && last != 2 || length < 8 || length > r.remaining() + 4) {
                    throw Malformation.BAD_PAYLOAD_BODY.exception();
                }
                Reader p = new Reader(r.bytes(length - 4), 0, length - 4, Malformation.BAD_PAYLOAD_BODY);
                int number = p.u8(), protocol = p.u8(), spiSize = p.u8(), count = p.u8();
                byte[] spi = p.bytes(spiSize);
                List<Transform> transforms = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    int tlast = p.u8();
                    p.u8();
                    int tlength = p.u16();
                    if (tlength < 8 || tlength - 4 > p.remaining() || (tlast == 0) != (i == count - 1)) {
                        throw Malformation.BAD_PAYLOAD_BODY.exception();
                    }
                    int type = p.u8();
                    p.u8();
                    int id = p.u16();
                    int keyLength = 0;
                    Reader a = new Reader(p.bytes(tlength - 8), 0, tlength - 8, Malformation.BAD_PAYLOAD_BODY);
                    while (a.remaining() > 0) {
                        int at = a.u16();
                        if ((at & 0x8000) != 0) {
                            int value = a.u16();
                            if ((at & 0x7fff) == Ike.ATTR_KEY_LENGTH) {
                                keyLength = value;
                            }
                        } else {
                            a.skip(a.u16()); // TLV attributes: none defined for IKEv2 transforms we know
                        }
                    }
                    transforms.add(new Transform(type, id, keyLength));
                }
                if (p.remaining() != 0) {
                    throw Malformation.BAD_PAYLOAD_BODY.exception();
                }
                proposals.add(new Proposal(number, protocol, spi, transforms));
                more = last == 2;
            }
            if (r.remaining() != 0) {
                throw Malformation.BAD_PAYLOAD_BODY.exception();
            }
            return new SecurityAssociation(proposals);
        }
    }

    /** Key Exchange (3.4): the DH group and our public value. */
    record KeyExchange(int group, byte[] data) implements Payload {
        public int type() {
            return Ike.KE;
        }

        public byte[] encodeBody() {
            return new Writer().u16(group).u16(0).bytes(data).toByteArray();
        }

        static KeyExchange decode(Reader r) throws Malformation.Exception {
            int group = r.u16();
            r.u16();
            return new KeyExchange(group, r.rest());
        }
    }

    /** Nonce (3.9): 16 to 256 bytes. */
    record Nonce(byte[] data) implements Payload {
        public int type() {
            return Ike.NONCE;
        }

        public byte[] encodeBody() {
            return data.clone();
        }

        static Nonce decode(Reader r) throws Malformation.Exception {
            if (r.remaining() < 16 || r.remaining() > 256) {
                throw Malformation.BAD_PAYLOAD_BODY.exception();
            }
            return new Nonce(r.rest());
        }
    }

    /** Notify (3.10): a protocol and SPI it is about (possibly none), its type and data. */
    record Notify(int protocol, byte[] spi, int notifyType, byte[] data) implements Payload {
        public static Notify of(int notifyType, byte[] data) {
            return new Notify(0, new byte[0], notifyType, data);
        }

        public static Notify of(int notifyType) {
            return of(notifyType, new byte[0]);
        }

        public int type() {
            return Ike.NOTIFY;
        }

        public boolean isError() {
            return notifyType < 16384;
        }

        public byte[] encodeBody() {
            return new Writer().u8(protocol).u8(spi.length).u16(notifyType).bytes(spi).bytes(data).toByteArray();
        }

        static Notify decode(Reader r) throws Malformation.Exception {
            int protocol = r.u8(), spiSize = r.u8(), notifyType = r.u16();
            return new Notify(protocol, r.bytes(spiSize), notifyType, r.rest());
        }
    }

    /** IDi or IDr (3.5). */
    record Identification(boolean initiator, int idType, byte[] data) implements Payload {
        public int type() {
            return initiator ? Ike.IDI : Ike.IDR;
        }

        public byte[] encodeBody() {
            return new Writer().u8(idType).u8(0).u16(0).bytes(data).toByteArray();
        }

        static Identification decode(boolean initiator, Reader r) throws Malformation.Exception {
            int idType = r.u8();
            r.skip(3);
            return new Identification(initiator, idType, r.rest());
        }
    }

    /** Authentication (3.8). */
    record Authentication(int method, byte[] data) implements Payload {
        public int type() {
            return Ike.AUTH;
        }

        public byte[] encodeBody() {
            return new Writer().u8(method).u8(0).u16(0).bytes(data).toByteArray();
        }

        static Authentication decode(Reader r) throws Malformation.Exception {
            int method = r.u8();
            r.skip(3);
            return new Authentication(method, r.rest());
        }
    }

    /** TSi or TSr (3.13). */
    record TrafficSelectors(boolean initiator, List<TrafficSelector> selectors) implements Payload {
        public TrafficSelectors {
            selectors = List.copyOf(selectors);
        }

        public int type() {
            return initiator ? Ike.TSI : Ike.TSR;
        }

        public byte[] encodeBody() {
            Writer w = new Writer().u8(selectors.size()).u8(0).u16(0);
            for (TrafficSelector ts : selectors) {
                byte[] start = ts.start().getAddress(), end = ts.end().getAddress();
                w.u8(start.length == 4 ? Ike.TS_IPV4_ADDR_RANGE : Ike.TS_IPV6_ADDR_RANGE).u8(ts.protocol())
                        .u16(8 + 2 * start.length).u16(ts.startPort()).u16(ts.endPort()).bytes(start).bytes(end);
            }
            return w.toByteArray();
        }

        static TrafficSelectors decode(boolean initiator, Reader r) throws Malformation.Exception {
            int count = r.u8();
            r.skip(3);
            List<TrafficSelector> list = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int tsType = r.u8(), protocol = r.u8(), length = r.u16();
                int addressLength = tsType == Ike.TS_IPV4_ADDR_RANGE ? 4 : tsType == Ike.TS_IPV6_ADDR_RANGE ? 16 : -1;
                if (addressLength < 0 || length != 8 + 2 * addressLength) {
                    throw Malformation.BAD_PAYLOAD_BODY.exception();
                }
                int startPort = r.u16(), endPort = r.u16();
                list.add(TrafficSelector.of(protocol, startPort, endPort, r.bytes(addressLength), r.bytes(addressLength)));
            }
            if (r.remaining() != 0) {
                throw Malformation.BAD_PAYLOAD_BODY.exception();
            }
            return new TrafficSelectors(initiator, list);
        }
    }

    /** Delete (3.11): SPIs of one protocol; none for the IKE SA itself. */
    record Delete(int protocol, int spiSize, List<byte[]> spis) implements Payload {
        public int type() {
            return Ike.DELETE;
        }

        public byte[] encodeBody() {
            Writer w = new Writer().u8(protocol).u8(spiSize).u16(spis.size());
            spis.forEach(w::bytes);
            return w.toByteArray();
        }

        static Delete decode(Reader r) throws Malformation.Exception {
            int protocol = r.u8(), spiSize = r.u8(), count = r.u16();
            if ((long) spiSize * count != r.remaining()) {
                throw Malformation.BAD_PAYLOAD_BODY.exception();
            }
            List<byte[]> spis = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                spis.add(r.bytes(spiSize));
            }
            return new Delete(protocol, spiSize, spis);
        }
    }

    /** Vendor ID (3.12). */
    record VendorId(byte[] data) implements Payload {
        public int type() {
            return Ike.VENDOR_ID;
        }

        public byte[] encodeBody() {
            return data.clone();
        }
    }

    /**
     * The Encrypted and Authenticated payload (3.14) as received: its body (IV, ciphertext, ICV) still sealed, where it
     * starts in the message (for the AAD), and the type of the first inner payload.
     */
    record Encrypted(int firstInner, int headerOffset, byte[] body) implements Payload {
        public int type() {
            return Ike.SK;
        }

        public byte[] encodeBody() {
            return body.clone();
        }
    }

    /** Certificate (3.6): its encoding (4: a DER X.509 certificate) and data. */
    record Cert(int encoding, byte[] data) implements Payload {
        public int type() {
            return Ike.CERT;
        }

        public byte[] encodeBody() {
            return new Writer().u8(encoding).bytes(data).toByteArray();
        }

        static Cert decode(Reader r) throws Malformation.Exception {
            return new Cert(r.u8(), r.rest());
        }
    }

    /**
     * Certificate Request (3.7): its encoding and, for X.509, the concatenated SHA-1 hashes of the trusted CAs'
     * SubjectPublicKeyInfo (20 bytes each).
     */
    record CertRequest(int encoding, byte[] authorities) implements Payload {
        public int type() {
            return Ike.CERTREQ;
        }

        public byte[] encodeBody() {
            return new Writer().u8(encoding).bytes(authorities).toByteArray();
        }

        static CertRequest decode(Reader r) throws Malformation.Exception {
            return new CertRequest(r.u8(), r.rest());
        }
    }

    /**
     * The Encrypted Fragment payload (RFC 7383 section 2.5) as received: one piece of a message too large for one
     * datagram, its number and the total, sealed like an SK payload; {@code firstInner} is meaningful in fragment 1.
     */
    record EncryptedFragment(int firstInner, int headerOffset, int number, int total, byte[] body) implements Payload {
        /** More fragments than any message of ours needs (a 64 KiB message in 1 KiB pieces): more is an attack. */
        static final int MAX_TOTAL = 64;

        public int type() {
            return Ike.SKF;
        }

        public byte[] encodeBody() {
            return new Writer().u16(number).u16(total).bytes(body).toByteArray();
        }

        static EncryptedFragment decode(int next, int headerOffset, Reader r) throws Malformation.Exception {
            int number = r.u16(), total = r.u16();
            if (number < 1 || total < 1 || number > total || total > MAX_TOTAL) {
                throw Malformation.BAD_FRAGMENT.exception();
            }
            return new EncryptedFragment(number == 1 ? next : Ike.NONE, headerOffset, number, total, r.rest());
        }
    }

    /** A payload we do not interpret (CP, EAP, or an unknown non-critical type): kept, not parsed. */
    record Opaque(int type, byte[] body) implements Payload {
        public byte[] encodeBody() {
            return body.clone();
        }
    }
}
