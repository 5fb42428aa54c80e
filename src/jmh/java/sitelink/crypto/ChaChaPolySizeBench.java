package sitelink.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One JDK ChaCha20-Poly1305 seal (a new nonce each time, as WireGuard's counter gives) by plaintext size: what a
 * packet costs against its length. With the AVX-512 intrinsic the JDK makes keystream 1 KiB (16 blocks) at a time:
 * 1 KiB at {@code init} for the Poly1305 key (one block of it used), 1 KiB more at {@code init} for the first data
 * bytes, and 1 KiB more whenever the data runs past that (com.sun.crypto.provider.ChaCha20Cipher, KS_MAX_LEN). So a
 * 1008-byte seal needs no keystream after {@code init} and a 1040-byte one does: the step between the two is the
 * cost of a 1-KiB keystream call; a full-MTU transport packet (1424 bytes padded) pays three such calls for 23 blocks
 * of data and one of key.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ChaChaPolySizeBench {
    @Param({"64", "1008", "1040", "1424", "2032", "2064"})
    int size;

    private byte[] in;
    private byte[] out;
    private final byte[] nonce = new byte[12];
    private Cipher jdk;
    private SecretKeySpec key;
    private long counter;

    @Setup
    public void setUp() throws GeneralSecurityException {
        SecureRandom r = new SecureRandom();
        byte[] k = new byte[32];
        r.nextBytes(k);
        key = new SecretKeySpec(k, "ChaCha20");
        in = new byte[size];
        r.nextBytes(in);
        out = new byte[size + 16];
        jdk = Cipher.getInstance("ChaCha20-Poly1305");
    }

    @Benchmark
    public int seal() throws GeneralSecurityException {
        long c = counter++;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (c >>> (8 * i));
        }
        jdk.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
        return jdk.doFinal(in, 0, size, out, 0);
    }
}
