package sitelink.control;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.TimeZone;

/**
 * Local time as logs and {@code status} show it, {@code yyyy-MM-dd HH:mm:ss}. The offset comes from
 * {@link TimeZone} (the JDK's own tzdb.dat, daylight saving included) rather than from a {@code ZoneId}: a region's
 * rules come from a ZoneRulesProvider service look-up that opens every jar of the class path (61), about 0.1 s of a
 * short command and of a gateway's first log line (issue 15).
 */
public final class LocalClock {
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private LocalClock() {
    }

    /** {@code t} in the machine's local time, to the second. */
    public static String format(Instant t) {
        ZoneOffset offset = ZoneOffset.ofTotalSeconds(TimeZone.getDefault().getOffset(t.toEpochMilli()) / 1000);
        return FORMAT.format(t.atOffset(offset));
    }
}
