package sitelink.ike;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
import sitelink.tunnel.Clock;

/**
 * Setting up an IKE SA and its first CHILD SA (IKE_SA_INIT and IKE_AUTH with a PSK, both sides: two round trips'
 * worth of work) once the JIT is warm, in memory: what issue 11's "under 100 ms on the veth once warm" is made of,
 * as the veth adds only two round trips of tens of microseconds. Per DH group of the IKE proposal.
 * Run: {@code bench/jmh IkeSetupBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class IkeSetupBench {
    @Param({"aes256gcm16-prfsha256-curve25519", "aes256gcm16-prfsha256-ecp256", "aes256gcm16-prfsha256-modp2048"})
    public String proposal;

    private static final InetSocketAddress A = new InetSocketAddress("198.51.100.1", 500), B = new InetSocketAddress("198.51.100.2", 500);
    private final SecureRandom random = new SecureRandom();
    private IkeConfig initiator, responder;

    @Setup
    public void setUp() throws Exception {
        byte[] psk = "a pre-shared key of at least 32 characters".getBytes(StandardCharsets.UTF_8);
        initiator = new IkeConfig.Builder(A, B).psk(psk).ike(proposal).esp("aes256gcm16")
                .selectors(List.of("198.18.1.0/24"), List.of("198.18.2.0/24")).build();
        responder = new IkeConfig.Builder(B, A).psk(psk).ike(proposal).esp("aes256gcm16")
                .selectors(List.of("198.18.2.0/24"), List.of("198.18.1.0/24")).build();
    }

    /** Both sessions from nothing to a CHILD SA installed on both ends; returns the number of CHILD SAs (2). */
    @Benchmark
    public int setup() {
        IkeSession a = new IkeSession(initiator, Clock.SYSTEM, random), b = new IkeSession(responder, Clock.SYSTEM, random);
        int installed = 0;
        List<IkeAction> toB = a.initiate(), toA = new ArrayList<>();
        for (int round = 0; round < 8 && !toB.isEmpty(); round++) {
            toA.clear();
            for (IkeAction x : toB) {
                if (x instanceof IkeAction.Send s) {
                    toA.addAll(b.receive(A, s.localPort(), s.datagram(), 0, s.datagram().length));
                } else if (x instanceof IkeAction.ChildSaInstalled) {
                    installed++;
                }
            }
            toB = new ArrayList<>();
            for (IkeAction x : toA) {
                if (x instanceof IkeAction.Send s) {
                    toB.addAll(a.receive(B, s.localPort(), s.datagram(), 0, s.datagram().length));
                } else if (x instanceof IkeAction.ChildSaInstalled) {
                    installed++;
                }
            }
        }
        for (IkeAction x : toB) {
            if (x instanceof IkeAction.ChildSaInstalled) {
                installed++;
            }
        }
        if (installed != 2) {
            throw new IllegalStateException("the exchange did not complete: " + installed + " CHILD SAs");
        }
        return installed;
    }
}
