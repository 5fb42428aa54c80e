package sitelink.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProposalsTest {
    @Test
    void parsesStrongSwanSyntax() throws Exception {
        assertEquals("IKE:aes256gcm16-prfsha256-modp2048", Proposals.parse(Ike.PROTO_IKE, 1, "aes256gcm16-prfsha256-modp2048").toString());
        assertEquals("IKE:chacha20poly1305-prfsha256-curve25519", Proposals.parse(Ike.PROTO_IKE, 1, "chacha20poly1305-prfsha256-x25519").toString());
        assertEquals("ESP:aes256gcm16-modp2048-noesn", Proposals.parse(Ike.PROTO_ESP, 1, "aes256gcm16-modp2048").toString());
        assertEquals("ESP:aes256gcm16-noesn", Proposals.parse(Ike.PROTO_ESP, 1, "aes256gcm16").toString());
        assertEquals("IKE:aes256-sha256-curve25519-prfsha256", Proposals.parse(Ike.PROTO_IKE, 1, "aes256-sha256-curve25519").toString(),
                "without a PRF, the integrity algorithm's (as strongSwan)");
        assertEquals("ESP:aes128-sha384-noesn", Proposals.parse(Ike.PROTO_ESP, 1, "aes128-sha384").toString());
    }

    /**
     * Our ESP counts packets in 32 bits (EspSa): esn alone is refused by check, esn-noesn offers noesn only, and a peer
     * that offers esn alone is told so in the NO_PROPOSAL_CHOSEN message.
     */
    @Test
    void extendedSequenceNumbersAreNotOffered() throws Exception {
        Proposals.ProposalException e = assertThrows(Proposals.ProposalException.class,
                () -> Proposals.parse(Ike.PROTO_ESP, 1, "aes256gcm16-modp2048-esn"));
        assertTrue(e.getMessage().startsWith("'aes256gcm16-modp2048-esn': esn (extended sequence numbers) is not supported"), e.getMessage());
        assertEquals("ESP:aes256gcm16-noesn", Proposals.parse(Ike.PROTO_ESP, 1, "aes256gcm16-esn-noesn").toString());
        Proposal onlyEsn = new Proposal(1, Ike.PROTO_ESP, new byte[4], List.of(new Transform(Ike.ENCR, Ike.ENCR_AES_GCM_16, 256),
                Transform.of(Ike.ESN, 1)));
        assertTrue(Proposals.esnHint(List.of(onlyEsn)).contains("the peer requires extended sequence numbers"));
        assertEquals("", Proposals.esnHint(List.of(Proposals.parse(Ike.PROTO_ESP, 1, "aes256gcm16"))));
        assertTrue(Proposals.select(List.of(onlyEsn), List.of(Proposals.parse(Ike.PROTO_ESP, 1, "aes256gcm16"))).isEmpty());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "aes256gcm16-prfsha1-modp2048|prfsha1 is too weak for a site link and refused; use prfsha256",
            "3des-sha1-modp1024|3des is too weak for a site link and refused; use aes256gcm16",
            "aes256gcm16-prfsha256-modp1024|modp1024 is too weak for a site link and refused; use modp2048 or curve25519",
            "aes256-md5-modp2048|md5 is too weak for a site link and refused; use sha256",
            "aes256gcm16-modp2048|names no PRF: add prfsha256",
            "aes256gcm16-prfsha256|names no Diffie-Hellman group",
            "aes256-curve25519-prfsha256|AES-CBC needs an integrity algorithm: add sha256",
            "aes256gcm16-sha256-prfsha256-modp2048|an AEAD needs no integrity algorithm (sha256); remove it",
            "aes256gcm16-prfsha256-modp4096|unknown algorithm 'modp4096'"})
    void refusesWeakOrUnsupportedTransformsNamingThemAndAReplacement(String spec, String message) {
        Proposals.ProposalException e = assertThrows(Proposals.ProposalException.class, () -> Proposals.parse(Ike.PROTO_IKE, 1, spec));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void selectionTakesThePeersFirstAcceptableProposalWithOneTransformPerType() throws Exception {
        List<Proposal> offered = Proposals.parseAll(Ike.PROTO_IKE, List.of("aes128gcm16-prfsha512-ecp384", "aes256gcm16-prfsha256-prfsha384-modp2048-ecp256"));
        List<Proposal> ours = Proposals.parseAll(Ike.PROTO_IKE, List.of("aes256gcm16-prfsha384-ecp256-modp2048"));
        Proposal chosen = Proposals.select(offered, ours).orElseThrow();
        assertEquals("IKE:aes256gcm16-prfsha384-ecp256", chosen.toString());
        assertEquals(2, chosen.number());
        assertTrue(Proposals.accepts(ours, chosen));
        assertTrue(Proposals.select(offered, Proposals.parseAll(Ike.PROTO_IKE, List.of("chacha20poly1305-prfsha256-x25519"))).isEmpty());
    }

    @Test
    void anAnswerWithTwoTransformsOfATypeOrOneWeDidNotOfferIsRefused() throws Exception {
        List<Proposal> ours = Proposals.parseAll(Ike.PROTO_IKE, Proposals.DEFAULT_IKE);
        assertTrue(!Proposals.accepts(ours, Proposals.parse(Ike.PROTO_IKE, 1, "aes256gcm16-prfsha256-modp2048-ecp256")));
        assertTrue(!Proposals.accepts(ours, Proposals.parse(Ike.PROTO_IKE, 1, "aes192gcm16-prfsha256-modp2048")));
    }
}
