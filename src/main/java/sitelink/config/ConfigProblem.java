package sitelink.config;

/**
 * One thing wrong with a site file: where, what, and how to fix it. Messages never contain key material, only
 * field names and the public parts of the configuration (subnets, endpoints, paths).
 */
public record ConfigProblem(Severity severity, Location location, String message) {
    public enum Severity { ERROR, WARNING }

    public static ConfigProblem error(Location at, String message) {
        return new ConfigProblem(Severity.ERROR, at, message);
    }

    public static ConfigProblem warning(Location at, String message) {
        return new ConfigProblem(Severity.WARNING, at, message);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@code file:line:col: message}, with {@code warning: } before the message of a warning. */
    @Override
    public String toString() {
        return location + ": " + (isError() ? "" : "warning: ") + message;
    }
}
