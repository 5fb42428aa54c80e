package sitelink.export;

/** The far side's configuration cannot be written: the message says why and what to change in the site file. */
public final class ExportException extends Exception {
    private static final long serialVersionUID = 1L;

    public ExportException(String message) {
        super(message);
    }
}
