package sitelink.ike;

/**
 * The fragments of one incoming message (RFC 7383 section 2.6): each authenticated on arrival, kept by number until
 * all are there, then the whole message. One message at a time: a fragment of another message, or one that counts a
 * different total, starts over. Memory is bounded by {@link Payload.EncryptedFragment#MAX_TOTAL} datagrams.
 */
final class Reassembly {
    private IkeMessage.Fragment[] fragments;
    private long messageId;
    private boolean response;

    /** What one fragment gave: the whole message, a wait for more, or why it was dropped. */
    sealed interface Result {
        record Whole(IkeMessage message) implements Result {
        }

        record Waiting() implements Result {
        }

        record Bad(String why) implements Result {
        }
    }

    /** Adds the SKF payload of {@code m} (its datagram {@code raw}), opened with the peer's {@code cipher}. */
    Result add(IkeMessage m, byte[] raw, SkCipher cipher) {
        IkeMessage.Fragment f;
        try {
            f = m.openFragment(raw, 0, cipher);
        } catch (Malformation.Exception e) {
            return new Result.Bad(e.reason.description());
        }
        if (fragments == null || messageId != m.messageId() || response != m.isResponse() || fragments.length != f.total()) {
            fragments = new IkeMessage.Fragment[f.total()];
            messageId = m.messageId();
            response = m.isResponse();
        }
        fragments[f.number() - 1] = f;
        for (IkeMessage.Fragment x : fragments) {
            if (x == null) {
                return new Result.Waiting();
            }
        }
        Writer chain = new Writer();
        for (IkeMessage.Fragment x : fragments) {
            chain.bytes(x.chunk());
        }
        int first = fragments[0].firstInner();
        fragments = null;
        try {
            return new Result.Whole(m.reassembled(chain.toByteArray(), first));
        } catch (Malformation.Exception e) {
            return new Result.Bad("reassembled message: " + e.reason.description());
        }
    }
}
