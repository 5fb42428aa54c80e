package sitelink.gateway;

/** A gateway that could not start, with a message that says what failed and what to do. */
public final class GatewayException extends Exception {
    private static final long serialVersionUID = 1L;

    public GatewayException(String message) {
        super(message);
    }
}
