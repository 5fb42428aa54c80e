package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemChecksTest {
    private static SiteFile withKeyFile(Path dir, String perms) throws Exception {
        Path key = dir.resolve("office-a.key");
        Files.writeString(key, SiteFileTest.ALICE_PRIVATE + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString(perms));
        String yaml = SiteFileTest.GOOD.replace("private_key: " + SiteFileTest.ALICE_PRIVATE, "private_key_file: office-a.key")
                .replace("listen_port: 51820\n", "");
        return SiteFile.parse("office-a.yaml", yaml, dir, SiteFile.Format.YAML);
    }

    @Test
    void keyFileReadableByOthersIsAnError(@TempDir Path dir) throws Exception {
        SiteFile f = withKeyFile(dir, "rw-r--r--");
        assertTrue(f.config().isPresent(), "the file itself is fine; the machine is not");
        Path key = dir.resolve("office-a.key");
        assertEquals(List.of("office-a.yaml:2:19: private_key_file " + key + " is readable or writable by group or others "
                + "(mode 0644); restrict it with: chmod 600 " + key), SystemChecks.run(f).stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void keyFileWithMode0600OrStricterPasses(@TempDir Path dir) throws Exception {
        assertEquals(List.of(), SystemChecks.run(withKeyFile(dir, "rw-------")));
        assertEquals(List.of(), SystemChecks.run(withKeyFile(dir, "r--------")));
    }

    @Test
    void keyFileOwnedBySomeoneElseIsAnError(@TempDir Path dir) throws Exception {
        SiteFile f = withKeyFile(dir, "rw-------");
        int owner = (Integer) Files.getAttribute(dir.resolve("office-a.key"), "unix:uid");
        // Pretend we run as another, non-root user: the file's owner is then neither root nor us.
        List<ConfigProblem> p = SystemChecks.keyFile(f.keyFiles().get(0), owner + 4242);
        if (owner == 0) {
            assertEquals(List.of(), p, "root-owned key files are always fine");
        } else {
            assertEquals(1, p.size());
            assertTrue(p.get(0).message().contains("is owned by uid " + owner + ", neither root nor this user"), p.toString());
        }
    }

    @Test
    void missingKeyFileIsAnErrorOfTheFileWithTheCommandToCreateIt(@TempDir Path dir) {
        String yaml = SiteFileTest.GOOD.replace("private_key: " + SiteFileTest.ALICE_PRIVATE, "private_key_file: office-a.key");
        Path key = dir.resolve("office-a.key");
        assertEquals(List.of("office-a.yaml:2:19: private_key_file " + key + " does not exist; create it with: umask 077; "
                        + "sitelink genkey > " + key),
                SiteFile.parse("office-a.yaml", yaml, dir, SiteFile.Format.YAML).errors().stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void listenPortInUseIsAnError() throws Exception {
        try (DatagramChannel taken = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("::"), 0));
            int port = ((InetSocketAddress) taken.getLocalAddress()).getPort();
            SiteFile f = SiteFileTest.parse(SiteFileTest.GOOD.replace("listen_port: 51820", "listen_port: " + port));
            assertEquals(List.of("office-a.yaml:3:14: listen_port " + port + " is already in use on this machine (another "
                    + "sitelink, wireguard-go or kernel WireGuard?); stop that program or choose another port (see: ss -ulpn "
                    + "'sport = :" + port + "')"), SystemChecks.run(f).stream().map(ConfigProblem::toString).toList());
        }
    }

    /** An IKEv2 site needs UDP 500 and 4500: check says so at its protocol line while another program holds one. */
    @Test
    void ikePortsHeldByAnotherDaemonAreAnError(@TempDir Path dir) throws Exception {
        Path psk = dir.resolve("branch.psk");
        Files.writeString(psk, IkeSiteTest.PSK + "\n");
        Files.setPosixFilePermissions(psk, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        SiteFile f = SiteFile.parse("office-a.yaml", IkeSiteTest.SITE, dir, SiteFile.Format.YAML);
        assertEquals(List.of(), f.errors());
        DatagramChannel taken = DatagramChannel.open(StandardProtocolFamily.INET6);
        try (taken) {
            try {
                taken.bind(new InetSocketAddress(InetAddress.getByName("::"), 4500)); // as charon would
            } catch (java.net.BindException e) {
                // something on this machine holds it already: the check must say so all the same
            }
            List<String> problems = SystemChecks.run(f).stream().map(ConfigProblem::toString)
                    .filter(m -> m.contains("UDP port 4500")).toList();
            assertEquals(List.of("office-a.yaml:7:15: IKEv2 sites need UDP port 4500, which is already in use on this "
                    + "machine (another IKE daemon: strongSwan's charon, libreswan's pluto, or another sitelink with IKEv2 "
                    + "sites?); stop it (see: ss -ulpn 'sport = :4500')"), problems);
        }
    }

    @Test
    void listenPortTakenOnlyOnLoopbackIsAlsoInUse() throws Exception {
        try (DatagramChannel taken = DatagramChannel.open(StandardProtocolFamily.INET)) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = ((InetSocketAddress) taken.getLocalAddress()).getPort();
            assertTrue(SystemChecks.listenPort(port, new Location("f", 1, 1)).isPresent(),
                    "the device binds the wildcard address, which a loopback socket on the same port blocks");
        }
    }

    @Test
    void freeListenPortPasses() throws Exception {
        int port;
        try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            probe.bind(new InetSocketAddress(InetAddress.getByName("::"), 0));
            port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
        assertTrue(SystemChecks.listenPort(port, new Location("f", 1, 1)).isEmpty());
    }

    @Test
    void eventsHookMustExistAndBeExecutable(@TempDir Path dir) throws Exception {
        Location at = new Location("office-a.yaml", 14, 16);
        Path hook = dir.resolve("event.sh");
        int us = (Integer) Files.getAttribute(dir, "unix:uid");
        assertEquals(List.of("office-a.yaml:14:16: events hook " + hook + " does not exist; create the script or correct the path"),
                SystemChecks.hook(new SiteFile.Hook(hook, at), us).stream().map(ConfigProblem::toString).toList());
        Files.writeString(hook, "#!/bin/sh\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(List.of("office-a.yaml:14:16: events hook " + hook + " is not an executable file; make it executable with: "
                + "chmod +x " + hook), SystemChecks.hook(new SiteFile.Hook(hook, at), us).stream().map(ConfigProblem::toString).toList());
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(List.of(), SystemChecks.hook(new SiteFile.Hook(hook, at), us));
        assertEquals(1, SystemChecks.hook(new SiteFile.Hook(dir, at), us).size(), "a directory is no script");
    }
}
