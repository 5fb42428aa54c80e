package sitelink.ike;

import java.io.ByteArrayOutputStream;

/** Big-endian appends for building IKE messages (control plane only; the data path never uses it). */
final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    Writer u8(int v) {
        out.write(v);
        return this;
    }

    Writer u16(int v) {
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    Writer u32(long v) {
        u16((int) (v >>> 16));
        return u16((int) v);
    }

    Writer u64(long v) {
        u32(v >>> 32);
        return u32(v);
    }

    Writer bytes(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    static void putU16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void putU32(byte[] b, int off, long v) {
        putU16(b, off, (int) (v >>> 16));
        putU16(b, off + 2, (int) v);
    }
}
