package sitelink.ike;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An IKEv2 message (RFC 7296 section 3.1): the header fields and the payload chain. Decoding is one total function:
 * any datagram gives either a message or a {@link Malformation}; lengths are checked against the datagram before
 * anything is allocated, so a hostile length cannot make us allocate more than the datagram holds.
 */
public record IkeMessage(long spiI, long spiR, int exchange, int flags, long messageId, List<Payload> payloads) {
    /** No IKE message we accept is longer (a UDP datagram cannot be, and fragments are far smaller). */
    public static final int MAX_LENGTH = 65535;
    private static final int MAX_PAYLOADS = 64;

    public IkeMessage {
        payloads = List.copyOf(payloads);
    }

    /** The result of decoding: a message, or why not. */
    public sealed interface Decoded {
        record Ok(IkeMessage message) implements Decoded {
        }

        record Bad(Malformation reason) implements Decoded {
        }
    }

    public boolean isResponse() {
        return (flags & Ike.FLAG_RESPONSE) != 0;
    }

    public boolean fromInitiator() {
        return (flags & Ike.FLAG_INITIATOR) != 0;
    }

    public <T extends Payload> Optional<T> first(Class<T> kind) {
        return payloads.stream().filter(kind::isInstance).map(kind::cast).findFirst();
    }

    public <T extends Payload> List<T> all(Class<T> kind) {
        return payloads.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    public Optional<Payload.Notify> notify(int notifyType) {
        return all(Payload.Notify.class).stream().filter(n -> n.notifyType() == notifyType).findFirst();
    }

    public Optional<Payload.TrafficSelectors> selectors(boolean initiator) {
        return all(Payload.TrafficSelectors.class).stream().filter(t -> t.initiator() == initiator).findFirst();
    }

    public Optional<Payload.Identification> id(boolean initiator) {
        return all(Payload.Identification.class).stream().filter(t -> t.initiator() == initiator).findFirst();
    }

    /** The message with other payloads (used once the SK payload is opened). */
    public IkeMessage withPayloads(List<Payload> inner) {
        return new IkeMessage(spiI, spiR, exchange, flags, messageId, inner);
    }

    /** As charon logs it: {@code IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) ]}. */
    public String describe() {
        String list = payloads.stream().map(p -> p instanceof Payload.Notify n ? "N(" + n.notifyType() + ")"
                : Ike.payloadName(p.type())).collect(Collectors.joining(" "));
        return Ike.exchangeName(exchange) + (isResponse() ? " response " : " request ") + messageId + " [ " + list + " ]";
    }

    /** The message with every payload in the clear. */
    public byte[] encode() {
        byte[] chain = encodeChain(payloads);
        Writer w = header(payloads.isEmpty() ? Ike.NONE : payloads.get(0).type(), Ike.HEADER_LENGTH + chain.length);
        return w.bytes(chain).toByteArray();
    }

    /** The message with every payload inside one SK payload sealed by {@code cipher} (section 3.14). */
    public byte[] encodeEncrypted(SkCipher cipher) {
        byte[] inner = encodeChain(payloads);
        int block = cipher.blockSize(); // 1 for AEADs: no padding
        int pad = (block - (inner.length + 1) % block) % block;
        byte[] plain = new byte[inner.length + pad + 1]; // padding of zeros, then Pad Length
        System.arraycopy(inner, 0, plain, 0, inner.length);
        plain[plain.length - 1] = (byte) pad;
        int bodyLength = cipher.ivLength() + plain.length + cipher.icvLength();
        int total = Ike.HEADER_LENGTH + 4 + bodyLength;
        byte[] out = new byte[total];
        byte[] head = header(Ike.SK, total).u8(payloads.isEmpty() ? Ike.NONE : payloads.get(0).type()).u8(0)
                .u16(4 + bodyLength).toByteArray();
        System.arraycopy(head, 0, out, 0, head.length);
        cipher.seal(out, head.length, plain);
        return out;
    }

    /**
     * IntAuth_A | IntAuth_P of this (decrypted or not yet sealed) IKE_INTERMEDIATE message (RFC 9242 section 3.3.1):
     * the header and the Encrypted payload's generic header as if the SK payload held only the inner payloads in the
     * clear (no IV, padding or ICV; a fragmented message as if it were whole), then those payloads.
     */
    public byte[] intermediateOctets() {
        byte[] inner = encodeChain(payloads);
        return header(Ike.SK, Ike.HEADER_LENGTH + 4 + inner.length).u8(payloads.isEmpty() ? Ike.NONE : payloads.get(0).type())
                .u8(0).u16(4 + inner.length).bytes(inner).toByteArray();
    }

    private Writer header(int next, int length) {
        return new Writer().u64(spiI).u64(spiR).u8(next).u8(Ike.VERSION).u8(exchange).u8(flags).u32(messageId).u32(length);
    }

    private static byte[] encodeChain(List<Payload> payloads) {
        Writer w = new Writer();
        for (int i = 0; i < payloads.size(); i++) {
            byte[] body = payloads.get(i).encodeBody();
            int next = i + 1 < payloads.size() ? payloads.get(i + 1).type() : Ike.NONE;
            w.u8(next).u8(0).u16(4 + body.length).bytes(body);
        }
        return w.toByteArray();
    }

    /** Just the header's SPIs, exchange and flags, for routing a datagram to its IKE SA before a full decode. */
    public static Decoded decode(byte[] b, int off, int len) {
        try {
            if (len < Ike.HEADER_LENGTH) {
                throw Malformation.TOO_SHORT.exception();
            }
            Reader r = new Reader(b, off, len, Malformation.TOO_SHORT);
            long spiI = r.u64(), spiR = r.u64();
            int next = r.u8(), version = r.u8(), exchange = r.u8(), flags = r.u8();
            long messageId = r.u32(), length = r.u32();
            if ((version >>> 4) != 2) {
                throw Malformation.BAD_VERSION.exception();
            }
            if (length > MAX_LENGTH) {
                throw Malformation.TOO_LONG.exception();
            }
            if (length != len) {
                throw Malformation.LENGTH_MISMATCH.exception();
            }
            List<Payload> payloads = parseChain(b, off, off + Ike.HEADER_LENGTH, len - Ike.HEADER_LENGTH, next, true);
            return new Decoded.Ok(new IkeMessage(spiI, spiR, exchange, flags, messageId, payloads));
        } catch (Malformation.Exception e) {
            return new Decoded.Bad(e.reason);
        }
    }

    /** Opens the SK payload of a decoded message; the message with the inner payloads, or why not. */
    public Decoded decrypt(byte[] raw, int off, SkCipher cipher) {
        Optional<Payload.Encrypted> sk = first(Payload.Encrypted.class);
        if (sk.isEmpty()) {
            return new Decoded.Ok(this);
        }
        try {
            Payload.Encrypted e = sk.get();
            byte[] plain = unpad(cipher.open(raw, off, e.headerOffset(), 4, e.body()).orElseThrow(Malformation.DECRYPT_FAILED::exception));
            List<Payload> inner = parseChain(plain, 0, 0, plain.length, e.firstInner(), false);
            List<Payload> all = new ArrayList<>(payloads);
            all.remove(e);
            all.addAll(inner);
            return new Decoded.Ok(withPayloads(all));
        } catch (Malformation.Exception ex) {
            return new Decoded.Bad(ex.reason);
        }
    }

    /** An SKF payload opened (authenticated and decrypted): its place in the message and its share of the inner chain. */
    public record Fragment(int number, int total, int firstInner, byte[] chunk) {
    }

    /** Opens this message's SKF payload: the fragment, or why not. */
    Fragment openFragment(byte[] raw, int off, SkCipher cipher) throws Malformation.Exception {
        Payload.EncryptedFragment f = first(Payload.EncryptedFragment.class).orElseThrow(Malformation.BAD_FRAGMENT::exception);
        byte[] plain = cipher.open(raw, off, f.headerOffset(), 8, f.body()).orElseThrow(Malformation.DECRYPT_FAILED::exception);
        return new Fragment(f.number(), f.total(), f.firstInner(), unpad(plain));
    }

    /** The message whose fragments' chunks, in order, are {@code chain} (RFC 7383 section 2.6). */
    IkeMessage reassembled(byte[] chain, int firstInner) throws Malformation.Exception {
        return withPayloads(parseChain(chain, 0, 0, chain.length, firstInner, false));
    }

    private static byte[] unpad(byte[] plain) throws Malformation.Exception {
        int padLength = plain.length == 0 ? -1 : plain[plain.length - 1] & 0xff;
        if (padLength < 0 || padLength + 1 > plain.length) {
            throw Malformation.BAD_PAYLOAD_BODY.exception();
        }
        return java.util.Arrays.copyOf(plain, plain.length - 1 - padLength);
    }

    /**
     * The message with its payloads sealed in Encrypted Fragment payloads of at most {@code maxLength} bytes each
     * (RFC 7383 section 2.5): the inner chain cut into pieces, each sealed on its own with the header and the fragment
     * numbers authenticated; one piece when it fits (still as SKF, as strongSwan does only when needed: callers use
     * {@link #encodeEncrypted} for messages that fit).
     */
    public List<byte[]> encodeFragments(SkCipher cipher, int maxLength) {
        byte[] inner = encodeChain(payloads);
        int block = cipher.blockSize();
        int room = maxLength - Ike.HEADER_LENGTH - 8 - cipher.ivLength() - cipher.icvLength() - block; // block: padding + pad length
        room -= room % block;
        int total = Math.max(1, (inner.length + room - 1) / room);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            int from = i * room, to = Math.min(inner.length, from + room);
            int pad = (block - (to - from + 1) % block) % block;
            byte[] plain = new byte[to - from + pad + 1];
            System.arraycopy(inner, from, plain, 0, to - from);
            plain[plain.length - 1] = (byte) pad;
            int bodyLength = cipher.ivLength() + plain.length + cipher.icvLength();
            int length = Ike.HEADER_LENGTH + 8 + bodyLength;
            byte[] msg = new byte[length];
            int first = i == 0 && !payloads.isEmpty() ? payloads.get(0).type() : Ike.NONE;
            byte[] head = header(Ike.SKF, length).u8(first).u8(0).u16(8 + bodyLength).u16(i + 1).u16(total).toByteArray();
            System.arraycopy(head, 0, msg, 0, head.length);
            cipher.seal(msg, head.length, plain);
            out.add(msg);
        }
        return out;
    }

    private static List<Payload> parseChain(byte[] b, int base, int off, int len, int first, boolean outer)
            throws Malformation.Exception {
        List<Payload> out = new ArrayList<>();
        Reader r = new Reader(b, off, len, Malformation.PAYLOAD_LENGTH);
        int type = first;
        while (type != Ike.NONE) {
            if (out.size() >= MAX_PAYLOADS) {
                throw Malformation.TOO_MANY_PAYLOADS.exception();
            }
            int headerOffset = r.position() - base;
            int next = r.u8();
            boolean critical = (r.u8() & 0x80) != 0;
            int length = r.u16();
            if (length < 4 || length - 4 > r.remaining()) {
                throw Malformation.PAYLOAD_LENGTH.exception();
            }
            Reader body = new Reader(b, r.position(), length - 4, Malformation.BAD_PAYLOAD_BODY);
            r.skip(length - 4);
            if (type == Ike.SK || type == Ike.SKF) {
                if (!outer || r.remaining() != 0) {
                    throw Malformation.SK_NOT_LAST.exception();
                }
                out.add(type == Ike.SK ? new Payload.Encrypted(next, headerOffset, body.rest())
                        : Payload.EncryptedFragment.decode(next, headerOffset, body));
                return out;
            }
            Payload p = switch (type) {
                case Ike.SA -> Payload.SecurityAssociation.decode(body);
                case Ike.KE -> Payload.KeyExchange.decode(body);
                case Ike.IDI -> Payload.Identification.decode(true, body);
                case Ike.IDR -> Payload.Identification.decode(false, body);
                case Ike.AUTH -> Payload.Authentication.decode(body);
                case Ike.NONCE -> Payload.Nonce.decode(body);
                case Ike.NOTIFY -> Payload.Notify.decode(body);
                case Ike.DELETE -> Payload.Delete.decode(body);
                case Ike.TSI -> Payload.TrafficSelectors.decode(true, body);
                case Ike.TSR -> Payload.TrafficSelectors.decode(false, body);
                case Ike.VENDOR_ID -> new Payload.VendorId(body.rest());
                case Ike.CERT -> Payload.Cert.decode(body);
                case Ike.CERTREQ -> Payload.CertRequest.decode(body);
                case Ike.CP, Ike.EAP -> new Payload.Opaque(type, body.rest());
                default -> {
                    if (critical) { // section 2.5: an unknown critical payload rejects the whole message
                        throw Malformation.UNSUPPORTED_CRITICAL_PAYLOAD.exception();
                    }
                    yield null; // unknown and not critical: skipped
                }
            };
            if (p != null) {
                out.add(p);
            }
            type = next;
        }
        if (r.remaining() != 0) {
            throw Malformation.PAYLOAD_LENGTH.exception();
        }
        return out;
    }
}
