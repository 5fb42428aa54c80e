package sitelink.e2e;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** wireguard-go, the reference userspace implementation: {@code wireguard-go -f IFACE}. */
public final class WireGuardGoNode extends WireGuardNode {
    private final Optional<Path> binary;

    WireGuardGoNode(Netns ns, String iface, Optional<Path> binary) {
        super(ns, iface);
        this.binary = binary;
    }

    @Override
    protected void requirePrerequisites() {
        E2e.require(binary.isPresent(), "wireguard-go (apt-get install wireguard-go)");
    }

    @Override
    protected List<String> command() {
        return List.of(binary.orElseThrow().toString(), "-f", iface);
    }

    @Override
    public String label() {
        return "wireguard-go " + binary.map(Path::toString).orElse("(missing)");
    }
}
