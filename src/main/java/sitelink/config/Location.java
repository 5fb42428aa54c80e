package sitelink.config;

/** A place in a configuration file, printed as editors and compilers do: {@code file:line:column} (both 1-based). */
public record Location(String file, int line, int column) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
