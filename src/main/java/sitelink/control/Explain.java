package sitelink.control;

import java.net.InetSocketAddress;
import java.util.Optional;
import sitelink.crypto.Key;
import sitelink.device.Diagnostic;
import sitelink.device.PeerStatus;
import sitelink.route.Prefix;
import sitelink.tunnel.Drop;

/**
 * Failures in plain words: what happened, the likely cause, and what to do (docs/status.md lists every sentence).
 * Shared by the diagnostic log and status so both say the same thing. Public keys may appear; secrets never do.
 */
public final class Explain {
    private Explain() {
    }

    static String endpoint(InetSocketAddress a) {
        String h = Prefix.formatAddress(a.getAddress());
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    private static String peerName(String name) {
        return name.isEmpty() ? "the peer" : name;
    }

    /** The sentence for a refused handshake, as status shows it and the log writes it. */
    static String handshakeFailure(Drop reason, String from, String peer, Optional<Key> ourPublicKey) {
        String who = peerName(peer);
        String us = ourPublicKey.map(k -> " (" + k.toBase64() + ")").orElse("");
        return switch (reason) {
            case MAC1_INVALID -> "handshake from " + from + " rejected: it is addressed to a different public key "
                    + "(MAC1 mismatch); check that " + who + " lists this site's public key" + us;
            case UNKNOWN_PEER -> "handshake from " + from + " rejected: it comes from a public key this site does "
                    + "not list; check the public_key this site has for " + who;
            case HANDSHAKE_DECRYPT_FAILED -> "handshake from " + from + " did not decrypt with this site's private "
                    + "key; check that " + who + " has this site's current public key" + us;
            case HANDSHAKE_RESPONSE_INVALID -> "handshake response from " + from + " did not authenticate: the "
                    + "preshared keys differ (or " + who + "'s key pair changed); give both sites the same preshared_key";
            case HANDSHAKE_REPLAY -> "handshake from " + from + " refused as a replay: its timestamp is not newer "
                    + "than the last one; check " + who + "'s clock (it must not go back)";
            default -> reason.reasonName() + " from " + from;
        };
    }

    /**
     * The peer keeps starting handshakes and never uses the session this side answers with. Only the response is keyed
     * with the preshared key, and the initiation already proved both public keys right, so the preshared keys differ;
     * failing that, the answers are lost on their way back.
     */
    static String responsesUnused(PeerStatus p) {
        String who = peerName(p.name());
        String ep = p.endpoint().map(Explain::endpoint).orElse("its endpoint");
        return who + " started " + p.unconfirmedResponses() + " handshakes since "
                + Assessment.time(p.firstUnconfirmedResponse().orElseThrow()) + " and used none of this site's "
                + "answers: the preshared keys differ (give both sites the same preshared_key), or the answers do not "
                + "reach " + ep + " (check that UDP from this site to " + who + " is not blocked)";
    }

        static String unansweredRemedy(PeerStatus p) {
        String ep = p.endpoint().map(Explain::endpoint).orElse("its endpoint");
        return "; check that " + peerName(p.name()) + " is running and that UDP to " + ep + " is not blocked";
    }

    /**
     * Handshakes unanswered although UDP reaches the peer's host: the peer is most likely there and drops them
     * silently, as WireGuard does with a handshake that is not for its key or comes from a key it does not list.
     */
    static String unansweredThoughReachable(PeerStatus p, Key ours) {
        String who = peerName(p.name());
        String ep = p.endpoint().map(Explain::endpoint).orElse("its endpoint");
        return ", although UDP reaches " + who + "'s host (it answered a probe); likely causes, most likely first: "
                + "the public key for " + who + " in this file does not match " + who + "'s private key, or " + who
                + " does not have this site's public key " + ours.toBase64() + " (compare 'sitelink pubkey' on each "
                + "side with the other's file); then: nothing listens on " + ep + " (" + who + " is not running), or a "
                + "firewall there drops that port";
    }

    /** The log line for one diagnostic; {@code peerName} is the remote site's name or empty. */
    static String sentence(Diagnostic d, String peerName, Optional<Key> ourPublicKey) {
        String from = d.source().map(Explain::endpoint).orElse("an unknown address");
        String who = peerName(peerName);
        if (Assessment.HANDSHAKE_FAILURES.contains(d.reason())) {
            String s = handshakeFailure(d.reason(), from, peerName, ourPublicKey);
            if (d.reason() == Drop.UNKNOWN_PEER && d.claimedKey().isPresent()) {
                s += " (it uses " + d.claimedKey().get().toBase64() + ")";
            }
            return s;
        }
        return switch (d.reason()) {
            case SOURCE_NOT_ALLOWED -> "packet from " + who + " dropped: its source "
                    + d.innerSource().map(Prefix::formatAddress).orElse("?") + " is outside " + who
                    + "'s remote_subnets; add the subnet to remote_subnets, or check " + who + "'s local_subnets";
            case FILTERED -> "packet from " + who + " with source "
                    + d.innerSource().map(Prefix::formatAddress).orElse("?") + " refused by the site policy";
            case DECRYPT_FAILED -> "data from " + from + " (" + who + ") did not authenticate; the datagram was "
                    + "corrupted or forged";
            case REPLAY -> "data from " + from + " (" + who + ") was a replay or arrived too late for the replay window";
            // Only this side can have lost a session the other still uses: a restarted peer has no sessions to send on.
            case UNKNOWN_INDEX -> "data from " + from + " names a session this site no longer has (this gateway "
                    + "restarted, or ended that session); " + who + " will make a new handshake";
            case KEYPAIR_EXPIRED -> "data from " + from + " (" + who + ") used an expired session";
            case HANDSHAKE_TIMEOUT -> "handshake with " + who + " at " + from + " gave up after 90 s without an "
                    + "answer; check that " + who + " is running and that UDP to it is not blocked";
            case NO_PRIVATE_KEY -> "handshake from " + from + " ignored: this device has no private key yet";
            default -> d.reason().reasonName() + " from " + from;
        };
    }
}
