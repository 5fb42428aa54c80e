package sitelink.esp;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import sitelink.wireguard.ReplayWindow;

/**
 * One ESP CHILD SA pair of directions in tunnel mode (RFC 4303) for ESP-in-UDP (RFC 3948: the ESP packet is the UDP
 * payload, SPI first). Packet layout: SPI | sequence | IV | ciphertext of (inner packet | padding | pad length |
 * next header) | ICV. With an AEAD the IV is 8 bytes, the 64-bit sequence number (unique under a key), the AAD is
 * SPI | sequence (32-bit, no ESN), the nonce the 4-byte salt | IV (RFC 4106 section 4, RFC 7634 section 2) and the
 * ICV 16 bytes. With AES-CBC (RFC 3602) the IV is 16 random bytes, the ciphertext a whole number of blocks, and the
 * ICV the HMAC-SHA2 of SPI through ciphertext truncated to half (RFC 4868), checked before anything is decrypted.
 *
 * <p>Seal and open work into the caller's buffers; no buffer is allocated per packet (the JDK's cipher takes a small
 * parameter object per init). Sequence numbers never wrap: after 2^32 - 1 packets seal refuses and the SA must be
 * rekeyed ({@link #needsRekey} says so well before). The replay window (8128 packets, RFC 6479-style) is updated only
 * after the ICV verifies, so forged packets cannot move it.
 */
public final class EspSa {
    public static final int HEADER_LENGTH = 8, SALT_LENGTH = 4;
    private static final int AEAD_IV = 8, AEAD_ICV = 16, CBC_IV = 16, CBC_BLOCK = 16;
    /**
     * Bytes seal adds at most around an inner packet, over all ciphers: header, IV (16 for CBC), padding (up to 15 for
     * CBC), pad length, next header, ICV (32 for HMAC-SHA2-512-256).
     */
    public static final int OVERHEAD = HEADER_LENGTH + CBC_IV + 15 + 2 + 32;
    public static final int NEXT_HEADER_IPV4 = 4, NEXT_HEADER_IPV6 = 41;
    private static final long MAX_SEQUENCE = 0xFFFF_FFFFL;
    /** Rekey well before the sequence space ends (as strongSwan's packet limits would). */
    private static final long REKEY_SEQUENCE = MAX_SEQUENCE - (1L << 24);
    /** Returned by {@link #seal} when the sequence space is used up. */
    public static final int SEQUENCE_EXHAUSTED = -1;

    private final EspCipher aead;
    private final int ivLength, icvLength, block;
    private final ThreadLocal<javax.crypto.Mac> inMac, outMac;
    private final int inboundSpi, outboundSpi;
    private final SecretKeySpec inKey, outKey;
    private final byte[] inSalt, outSalt;
    private final AtomicLong nextSequence = new AtomicLong(1);
    private final ReplayWindow replay = new ReplayWindow();
    private final ThreadLocal<Cipher> cipher;
    private final ThreadLocal<byte[]> scratch = ThreadLocal.withInitial(() -> new byte[64]);
    /** CBC's unpredictable IVs (RFC 3602 section 3); an AEAD's IVs count instead. */
    private final java.security.SecureRandom random;

    /**
     * Keying material per direction as IKE derives it: for an AEAD the key followed by the 4-byte salt, for AES-CBC
     * the encryption key followed by the integrity key. {@code random} makes CBC's IVs (the caller's: the cores use
     * no global random source).
     */
    public EspSa(EspCipher aead, int inboundSpi, int outboundSpi, byte[] inKeymat, byte[] outKeymat,
                 java.security.SecureRandom random) {
        this.random = random;
        this.aead = aead;
        this.inboundSpi = inboundSpi;
        this.outboundSpi = outboundSpi;
        this.ivLength = aead.isAead() ? AEAD_IV : CBC_IV;
        this.icvLength = aead.isAead() ? AEAD_ICV : aead.integKeyLength / 2;
        this.block = aead.isAead() ? 4 : CBC_BLOCK;
        // AEAD keying material: key | salt; CBC: encryption key | integrity key (RFC 7296 section 2.17)
        int tail = aead.isAead() ? SALT_LENGTH : aead.integKeyLength;
        this.inKey = new SecretKeySpec(inKeymat, 0, inKeymat.length - tail, aead.keyAlgorithm);
        this.outKey = new SecretKeySpec(outKeymat, 0, outKeymat.length - tail, aead.keyAlgorithm);
        this.inSalt = Arrays.copyOfRange(inKeymat, inKeymat.length - tail, inKeymat.length);
        this.outSalt = Arrays.copyOfRange(outKeymat, outKeymat.length - tail, outKeymat.length);
        this.inMac = aead.isAead() ? null : macWith(inSalt);
        this.outMac = aead.isAead() ? null : macWith(outSalt);
        this.cipher = ThreadLocal.withInitial(() -> {
            try {
                return Cipher.getInstance(aead.transformation);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("this JDK has no " + aead.transformation, e);
            }
        });
    }

    /** For tests: continue the outbound sequence at {@code next} (reaching the end takes 2^32 packets otherwise). */
    void continueSequenceAt(long next) {
        nextSequence.set(next);
    }

    /**
     * Drops the calling thread's cipher, MACs and scratch buffer for this SA now, rather than when the garbage
     * collector finds the SA unreachable. For a thread that makes SAs by the thousand and uses each briefly (the ESP
     * fuzzer): their entries would pile up in the thread's ThreadLocal map until a collection, and every lookup
     * would wade through them. A gateway's threads see a few SAs an hour and need not call it.
     */
    void releaseThreadState() {
        cipher.remove();
        scratch.remove();
        if (inMac != null) {
            inMac.remove();
            outMac.remove();
        }
    }

    public int inboundSpi() {
        return inboundSpi;
    }

    public int outboundSpi() {
        return outboundSpi;
    }

    /** Whether the outbound sequence numbers are close enough to the end that a new CHILD SA should take over. */
    public boolean needsRekey() {
        return nextSequence.get() >= REKEY_SEQUENCE;
    }

    /** The SPI of an ESP packet (the first 4 bytes), for finding its SA; the caller checks the length first. */
    public static int spiOf(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    private ThreadLocal<javax.crypto.Mac> macWith(byte[] key) {
        SecretKeySpec k = new SecretKeySpec(key, aead.mac);
        return ThreadLocal.withInitial(() -> {
            try {
                javax.crypto.Mac m = javax.crypto.Mac.getInstance(aead.mac);
                m.init(k);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("this JDK has no " + aead.mac, e);
            }
        });
    }

    private void init(Cipher c, int mode, SecretKeySpec key, byte[] salt, byte[] iv, int ivOff) throws GeneralSecurityException {
        if (!aead.isAead()) {
            c.init(mode, key, new IvParameterSpec(iv, ivOff, CBC_IV));
            return;
        }
        byte[] nonce = scratch.get();
        System.arraycopy(salt, 0, nonce, 0, SALT_LENGTH);
        System.arraycopy(iv, ivOff, nonce, SALT_LENGTH, AEAD_IV);
        if (aead == EspCipher.AES_GCM_16) {
            c.init(mode, key, new GCMParameterSpec(AEAD_ICV * 8, nonce, 0, SALT_LENGTH + AEAD_IV));
        } else {
            c.init(mode, key, new IvParameterSpec(nonce, 0, SALT_LENGTH + AEAD_IV));
        }
    }

    /** The truncated HMAC of b[off, off+len) into scratch[0, icvLength). */
    private byte[] icv(ThreadLocal<javax.crypto.Mac> mac, byte[] b, int off, int len) {
        byte[] out = scratch.get();
        javax.crypto.Mac m = mac.get();
        m.update(b, off, len);
        try {
            m.doFinal(out, 0);
        } catch (javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /**
     * Seals the inner packet in[inOff, inOff+len) with {@code nextHeader} (4: IPv4, 41: IPv6) into out[outOff...];
     * returns the ESP packet's length, or {@link #SEQUENCE_EXHAUSTED}. {@code out} needs len + {@link #OVERHEAD} bytes.
     */
    public int seal(byte[] in, int inOff, int len, int nextHeader, byte[] out, int outOff) {
        long seq = nextSequence.getAndIncrement();
        if (seq > MAX_SEQUENCE) {
            nextSequence.set(MAX_SEQUENCE + 1); // stays refused; never wraps to reuse a nonce
            return SEQUENCE_EXHAUSTED;
        }
        // the ciphertext ends on a 4-byte boundary (RFC 4303 section 2.4), for CBC on a block boundary
        int pad = (block - (len + 2) % block) % block;
        putInt(out, outOff, outboundSpi);
        putInt(out, outOff + 4, (int) seq);
        if (aead.isAead()) {
            putInt(out, outOff + 8, 0);
            putInt(out, outOff + 12, (int) seq);
        } else {
            random.nextBytes(scratch.get()); // CBC needs an unpredictable IV (RFC 3602 section 3)
            System.arraycopy(scratch.get(), 0, out, outOff + HEADER_LENGTH, CBC_IV);
        }
        Cipher c = cipher.get();
        try {
            init(c, Cipher.ENCRYPT_MODE, outKey, outSalt, out, outOff + HEADER_LENGTH);
            byte[] trailer = scratch.get();
            if (aead.isAead()) {
                c.updateAAD(out, outOff, HEADER_LENGTH);
            }
            int pos = outOff + HEADER_LENGTH + ivLength;
            pos += c.update(in, inOff, len, out, pos);
            for (int i = 0; i < pad; i++) {
                trailer[i] = (byte) (i + 1); // padding bytes 1, 2, 3, ... (section 2.4)
            }
            trailer[pad] = (byte) pad;
            trailer[pad + 1] = (byte) nextHeader;
            pos += c.doFinal(trailer, 0, pad + 2, out, pos);
            if (!aead.isAead()) {
                System.arraycopy(icv(outMac, out, outOff, pos - outOff), 0, out, pos, icvLength);
                pos += icvLength;
            }
            return pos - outOff;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ESP seal failed", e);
        }
    }

    /**
     * Opens the ESP packet in[off, off+len) into out[outOff...]: the inner packet's length, or a negative
     * {@link EspDrop#code()}. {@code out} needs len bytes. The sequence number counts as seen only once the ICV verified.
     */
    public int open(byte[] in, int off, int len, byte[] out, int outOff) {
        if (len < HEADER_LENGTH + ivLength + 2 + icvLength || (!aead.isAead() && (len - HEADER_LENGTH - CBC_IV - icvLength) % CBC_BLOCK != 0)) {
            return EspDrop.TOO_SHORT.code();
        }
        if (spiOf(in, off) != inboundSpi) {
            return EspDrop.UNKNOWN_SPI.code();
        }
        long seq = spiOf(in, off + 4) & 0xFFFF_FFFFL;
        if (seq == 0) {
            return EspDrop.ZERO_SEQUENCE.code();
        }
        if (!replay.check(seq)) {
            return EspDrop.REPLAYED.code(); // before any crypto: old and duplicate packets cost nothing
        }
        if (out.length - outOff < len) {
            return EspDrop.BUFFER_TOO_SMALL.code();
        }
        if (!aead.isAead()) {
            byte[] expected = icv(inMac, in, off, len - icvLength);
            int diff = 0;
            for (int i = 0; i < icvLength; i++) {
                diff |= expected[i] ^ in[off + len - icvLength + i]; // constant time
            }
            if (diff != 0) {
                return EspDrop.AUTH_FAILED.code();
            }
        }
        int n;
        Cipher c = cipher.get();
        try {
            init(c, Cipher.DECRYPT_MODE, inKey, inSalt, in, off + HEADER_LENGTH);
            if (aead.isAead()) {
                c.updateAAD(in, off, HEADER_LENGTH);
                n = c.doFinal(in, off + HEADER_LENGTH + AEAD_IV, len - HEADER_LENGTH - AEAD_IV, out, outOff);
            } else {
                n = c.doFinal(in, off + HEADER_LENGTH + CBC_IV, len - HEADER_LENGTH - CBC_IV - icvLength, out, outOff);
            }
        } catch (AEADBadTagException e) {
            return EspDrop.AUTH_FAILED.code();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ESP open failed", e);
        }
        if (!replay.update(seq)) {
            return EspDrop.REPLAYED.code(); // another thread accepted the same number meanwhile
        }
        int padLength = out[outOff + n - 2] & 0xff, nextHeader = out[outOff + n - 1] & 0xff;
        if (padLength + 2 > n) {
            return EspDrop.BAD_PADDING.code();
        }
        if (nextHeader != NEXT_HEADER_IPV4 && nextHeader != NEXT_HEADER_IPV6) {
            return EspDrop.NOT_TUNNEL_MODE.code(); // also 59, a dummy packet for traffic flow confidentiality
        }
        return n - 2 - padLength;
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    @Override
    public String toString() { // never the keys
        return String.format("ESP %s %08x_i %08x_o", aead, inboundSpi, outboundSpi);
    }
}
