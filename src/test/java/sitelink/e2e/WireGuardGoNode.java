package sitelink.e2e;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import sitelink.testbed.Namespace;

/** wireguard-go, the reference userspace implementation: {@code wireguard-go -f IFACE}. */
public final class WireGuardGoNode extends WireGuardNode {
    private final String build;
    private final String howToGet;
    private final Optional<Path> binary;

    /** {@code build} names which wireguard-go (a {@link WireGuardNode.Kind} label), {@code howToGet} how to install it. */
    WireGuardGoNode(Namespace ns, String iface, String build, String howToGet, Optional<Path> binary) {
        super(ns, iface);
        this.build = build;
        this.howToGet = howToGet;
        this.binary = binary;
    }

    @Override
    protected void requirePrerequisites() {
        E2e.require(binary.isPresent(), build + " (" + howToGet + ")");
    }

    @Override
    protected List<String> command() {
        return List.of(binary.orElseThrow().toString(), "-f", iface);
    }

    @Override
    public String label() {
        return build + " " + binary.map(Path::toString).orElse("(missing)");
    }
}
