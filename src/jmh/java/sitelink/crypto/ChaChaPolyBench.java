package sitelink.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Baselines for {@code KeypairBench}: sealing a 1424-byte (1420 padded to 16) plaintext, and opening it, with
 * nothing but ChaCha20-Poly1305, through the JDK Cipher directly, through our {@link ChaChaPoly} wrapper, and through
 * Bouncy Castle's lightweight engine (already a dependency); and AES-256-GCM through the JDK, ESP's default. The gap
 * between the JDK line and Keypair.encrypt is what the WireGuard framing costs; the gap between JDK and Bouncy Castle
 * says which engine a fast path should use here.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.Throughput, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ChaChaPolyBench {
    static final int PLAINTEXT = 1424;

    private final byte[] key = new byte[32];
    private final byte[] in = new byte[PLAINTEXT];
    private final byte[] out = new byte[PLAINTEXT + 16];
    private final byte[] nonce = new byte[12];
    private Cipher jdk;
    private SecretKeySpec jdkKey;
    private Cipher aesGcm;
    private SecretKeySpec aesKey;
    private ChaCha20Poly1305 bc;
    private KeyParameter bcKey;
    private long counter;
    /** in sealed under counter 0, for the open baselines (decrypting the same message again is allowed). */
    private final byte[] sealed = new byte[PLAINTEXT + 16];
    private final byte[] nonceZero = new byte[12];

    @Setup
    public void setUp() throws GeneralSecurityException {
        SecureRandom r = new SecureRandom();
        r.nextBytes(key);
        r.nextBytes(in);
        jdk = Cipher.getInstance("ChaCha20-Poly1305");
        jdkKey = new SecretKeySpec(key, "ChaCha20");
        aesGcm = Cipher.getInstance("AES/GCM/NoPadding");
        aesKey = new SecretKeySpec(key, "AES");
        bc = new ChaCha20Poly1305();
        bcKey = new KeyParameter(key);
        jdk.init(Cipher.ENCRYPT_MODE, jdkKey, new IvParameterSpec(nonceZero));
        jdk.doFinal(in, 0, PLAINTEXT, sealed, 0);
        counter = 1; // the seal baselines must not reuse nonce 0 under this key
    }

    /** A fresh nonce per message, as WireGuard's counter gives (the JDK refuses to encrypt twice under one). */
    private byte[] nextNonce() {
        long c = counter++;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (c >>> (8 * i));
        }
        return nonce;
    }

    @Benchmark
    public int jdkCipherSeal() throws GeneralSecurityException {
        jdk.init(Cipher.ENCRYPT_MODE, jdkKey, new IvParameterSpec(nextNonce()));
        return jdk.doFinal(in, 0, PLAINTEXT, out, 0);
    }

    /**
     * AES-256-GCM through the JDK, the ESP default (RFC 4106): on x86 the JDK intrinsifies it with AES-NI and CLMUL
     * wherever those exist, where ChaCha20-Poly1305's Poly1305 intrinsic needs AVX-512 (flag UsePoly1305Intrinsics).
     */
    @Benchmark
    public int jdkAesGcmSeal() throws GeneralSecurityException {
        aesGcm.init(Cipher.ENCRYPT_MODE, aesKey, new javax.crypto.spec.GCMParameterSpec(128, nextNonce()));
        return aesGcm.doFinal(in, 0, PLAINTEXT, out, 0);
    }

    @Benchmark
    public int chaChaPolySeal() {
        return ChaChaPoly.seal(key, counter++, in, 0, PLAINTEXT, null, out, 0);
    }

    @Benchmark
    public int bouncyCastleSeal() throws InvalidCipherTextException {
        bc.init(true, new AEADParameters(bcKey, 128, nextNonce()));
        int n = bc.processBytes(in, 0, PLAINTEXT, out, 0);
        return n + bc.doFinal(out, n);
    }

    @Benchmark
    public int jdkCipherOpen() throws GeneralSecurityException {
        jdk.init(Cipher.DECRYPT_MODE, jdkKey, new IvParameterSpec(nonceZero));
        return jdk.doFinal(sealed, 0, sealed.length, out, 0);
    }

    @Benchmark
    public int chaChaPolyOpen() {
        return ChaChaPoly.open(key, 0, sealed, 0, sealed.length, null, out, 0);
    }

    @Benchmark
    public int bouncyCastleOpen() throws InvalidCipherTextException {
        bc.init(false, new AEADParameters(bcKey, 128, nonceZero));
        int n = bc.processBytes(sealed, 0, sealed.length, out, 0);
        return n + bc.doFinal(out, n);
    }
}
