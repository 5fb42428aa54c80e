package sitelink.esp;

/** Why {@link EspSa#open} refused a packet; each is counted. {@link #code} is the negative value open returns. */
public enum EspDrop {
    TOO_SHORT, UNKNOWN_SPI, ZERO_SEQUENCE, REPLAYED, AUTH_FAILED, BAD_PADDING, NOT_TUNNEL_MODE, BUFFER_TOO_SMALL;

    public int code() {
        return -1 - ordinal();
    }

    /** The drop a negative return value of open stands for. */
    public static EspDrop of(int code) {
        return values()[-1 - code];
    }
}
