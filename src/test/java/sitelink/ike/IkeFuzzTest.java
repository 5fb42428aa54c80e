package sitelink.ike;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.security.SecureRandom;
import java.util.List;
import sitelink.wireguard.FakeClock;

/**
 * Fuzzes what the open IKE ports accept: {@link IkeMessage#decode} and a responder {@link IkeSession#receive} on 500
 * and 4500 with arbitrary datagrams. For every input: no exception escapes, and nothing but a datagram to send or a
 * drop comes out (no IKE SA can be established, no CHILD SA installed, by one unauthenticated datagram).
 * Regression mode replays src/test/resources/sitelink/ike/IkeFuzzTestInputs/receive/; {@code JAZZER_FUZZ=1} fuzzes.
 */
class IkeFuzzTest {
    /**
     * The responder's configuration, built once: building it parses the default proposals, which was two thirds of
     * each execution (the configuration is immutable; every execution still gets a new session).
     */
    private static final IkeConfig CONFIG = IkePair.configB();

    @FuzzTest
    void receive(FuzzedDataProvider data) {
        boolean natT = data.consumeBoolean();
        byte[] datagram = data.consumeRemainingAsBytes();
        IkeMessage.decode(datagram, 0, datagram.length);
        IkeSession responder = new IkeSession(CONFIG, new FakeClock(), new SecureRandom());
        List<IkeAction> out = responder.receive(IkePair.A, natT ? Ike.NAT_T_PORT : Ike.IKE_PORT, datagram, 0, datagram.length);
        assertTrue(out.stream().allMatch(a -> a instanceof IkeAction.Send || a instanceof IkeAction.Dropped
                || a instanceof IkeAction.Failed), out.toString());
    }
}
