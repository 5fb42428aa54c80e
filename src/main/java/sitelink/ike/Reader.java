package sitelink.ike;

/** A bounds-checked cursor over a byte range: every read past the end is a {@link Malformation}, never an index exception. */
final class Reader {
    private final byte[] b;
    private int pos;
    private final int end;
    private final Malformation onShort;

    Reader(byte[] b, int off, int len, Malformation onShort) {
        this.b = b;
        this.pos = off;
        this.end = off + len;
        this.onShort = onShort;
    }

    int remaining() {
        return end - pos;
    }

    int position() {
        return pos;
    }

    private void need(int n) throws Malformation.Exception {
        if (n < 0 || end - pos < n) {
            throw onShort.exception();
        }
    }

    int u8() throws Malformation.Exception {
        need(1);
        return b[pos++] & 0xff;
    }

    int u16() throws Malformation.Exception {
        need(2);
        int v = ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    long u32() throws Malformation.Exception {
        need(4);
        long v = ((long) (b[pos] & 0xff) << 24) | ((b[pos + 1] & 0xff) << 16) | ((b[pos + 2] & 0xff) << 8) | (b[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    long u64() throws Malformation.Exception {
        return (u32() << 32) | u32();
    }

    byte[] bytes(int n) throws Malformation.Exception {
        need(n);
        byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + n);
        pos += n;
        return out;
    }

    void skip(int n) throws Malformation.Exception {
        need(n);
        pos += n;
    }

    byte[] rest() throws Malformation.Exception {
        return bytes(remaining());
    }
}
