package sitelink.device;

/**
 * The one way to read and change a running device. The UAPI server and (later) the site-file loader talk to the
 * device only through this interface.
 */
public interface DeviceControl {
    DeviceSnapshot snapshot();

    /**
     * Applies the whole update or, if it fails, none of it.
     *
     * @throws DeviceException with the errno that UAPI reports (for example -EADDRINUSE when the port is taken)
     */
    void apply(DeviceUpdate update) throws DeviceException;

    /**
     * The device's counters by name, for example {@code drop_replay} or {@code rx_datagrams}: every dropped packet
     * is counted under a reason. Served over the UAPI socket as sitelink's own {@code get_counters=1} request.
     */
    java.util.SortedMap<String, Long> counters();
}
