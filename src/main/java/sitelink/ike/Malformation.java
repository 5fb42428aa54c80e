package sitelink.ike;

/** Why an IKE message was not accepted as well-formed: each is a drop reason with its own counter. */
public enum Malformation {
    TOO_SHORT("shorter than the IKE header"),
    BAD_VERSION("major version is not 2"),
    LENGTH_MISMATCH("header length differs from the datagram"),
    TOO_LONG("longer than the largest message accepted"),
    PAYLOAD_LENGTH("a payload's length runs past the message or below its header"),
    TOO_MANY_PAYLOADS("more payloads than any exchange needs"),
    UNSUPPORTED_CRITICAL_PAYLOAD("an unknown payload marked critical"),
    BAD_PAYLOAD_BODY("a payload's fields are inconsistent"),
    SK_NOT_LAST("payloads follow the encrypted payload"),
    BAD_FRAGMENT("an encrypted fragment's number or total is impossible (0, beyond the total, or more than 64)"),
    DECRYPT_FAILED("the encrypted payload did not authenticate"),
    NO_KEYS("an encrypted payload before keys exist");

    private final String description;

    Malformation(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** The checked exception the codecs use internally; {@link IkeMessage#decode} turns it into a result. */
    static final class Exception extends java.lang.Exception {
        private static final long serialVersionUID = 1L;
        final Malformation reason;

        Exception(Malformation reason) {
            super(reason.description, null, false, false);
            this.reason = reason;
        }
    }

    Exception exception() {
        return new Exception(this);
    }
}
