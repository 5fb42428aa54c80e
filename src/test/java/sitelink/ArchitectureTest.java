package sitelink;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of docs/architecture.md ("Packages"), checked on the compiled main classes: a package may use only
 * the packages listed for it, all of them below it, so a lower package that starts importing a higher one fails here
 * (and so does a cycle between packages).
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("sitelink");
    }

    @Test
    void eachPackageUsesOnlyTheLayersBelowIt() {
        ArchRule rule = layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("files").definedBy("sitelink.files..")
                .layer("packet").definedBy("sitelink.packet..")
                .layer("route").definedBy("sitelink.route..")
                .layer("crypto").definedBy("sitelink.crypto..")
                .layer("pki").definedBy("sitelink.pki..")
                .layer("tunnel").definedBy("sitelink.tunnel..")
                .layer("cores").definedBy("sitelink.wireguard..", "sitelink.ike..", "sitelink.esp..", "sitelink.ipsec..",
                        "sitelink.pqpsk..")
                .layer("policy").definedBy("sitelink.policy..")
                .layer("os").definedBy("sitelink.os..")
                .layer("device").definedBy("sitelink.device..")
                .layer("uapi").definedBy("sitelink.uapi..")
                .layer("config").definedBy("sitelink.config..")
                .layer("export").definedBy("sitelink.export..")
                .layer("plan").definedBy("sitelink.plan..")
                .layer("control").definedBy("sitelink.control..")
                .layer("gateway").definedBy("sitelink.gateway..")
                .layer("testbed").definedBy("sitelink.testbed..")
                .layer("demo").definedBy("sitelink.demo..")
                .layer("agent").definedBy("sitelink.agent..")
                .layer("cli").definedBy("sitelink.cli..")
                .whereLayer("files").mayNotAccessAnyLayer()
                .whereLayer("packet").mayNotAccessAnyLayer()
                .whereLayer("route").mayNotAccessAnyLayer()
                .whereLayer("crypto").mayNotAccessAnyLayer()
                .whereLayer("pki").mayOnlyAccessLayers("files")
                .whereLayer("tunnel").mayOnlyAccessLayers("crypto")
                .whereLayer("cores").mayOnlyAccessLayers("crypto", "pki", "tunnel", "packet", "route")
                .whereLayer("policy").mayOnlyAccessLayers("packet", "route", "crypto", "tunnel")
                .whereLayer("os").mayOnlyAccessLayers("packet", "route")
                .whereLayer("device").mayOnlyAccessLayers("packet", "route", "crypto", "pki", "tunnel", "cores", "policy", "os")
                .whereLayer("uapi").mayOnlyAccessLayers("packet", "route", "crypto", "pki", "tunnel", "cores", "policy", "os", "device")
                .whereLayer("config").mayOnlyAccessLayers("packet", "route", "crypto", "pki", "tunnel", "cores", "policy", "os",
                        "device")
                .whereLayer("export").mayOnlyAccessLayers("packet", "route", "crypto", "pki", "tunnel", "cores", "policy", "config")
                .whereLayer("export").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("plan").mayOnlyAccessLayers("files", "route", "config")
                .whereLayer("plan").mayOnlyBeAccessedByLayers("agent", "cli")
                .whereLayer("control").mayOnlyAccessLayers("packet", "route", "crypto", "pki", "tunnel", "cores", "policy", "os",
                        "device", "uapi", "config")
                .whereLayer("gateway").mayOnlyAccessLayers("packet", "route", "crypto", "pki", "tunnel", "cores", "policy", "os",
                        "device", "uapi", "config", "control")
                .whereLayer("testbed").mayOnlyAccessLayers("os")
                .whereLayer("testbed").mayOnlyBeAccessedByLayers("demo", "cli")
                .whereLayer("demo").mayOnlyAccessLayers("testbed", "packet", "route", "crypto", "pki", "tunnel", "cores", "policy", "os",
                        "device", "uapi", "config", "control", "gateway")
                .whereLayer("agent").mayOnlyAccessLayers("files", "packet", "route", "crypto", "tunnel", "config", "plan", "gateway")
                .whereLayer("agent").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer();
        rule.check(classes);
    }

    /** {@code os} by concern, over the shared FFM bindings: TUN I/O, sockets and processes stand beside each other. */
    @Test
    void osIsSplitByConcernOverTheFfmBindings() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("ffm").definedBy("sitelink.os.ffm..")
                .layer("tun").definedBy("sitelink.os.tun..")
                .layer("socket").definedBy("sitelink.os.socket..")
                .layer("process").definedBy("sitelink.os.process..")
                .layer("host").definedBy("sitelink.os.host..")
                .whereLayer("ffm").mayNotAccessAnyLayer()
                .whereLayer("tun").mayOnlyAccessLayers("ffm")
                .whereLayer("socket").mayOnlyAccessLayers("ffm")
                .whereLayer("process").mayOnlyAccessLayers("ffm")
                .whereLayer("host").mayOnlyAccessLayers("ffm", "socket")
                .check(classes);
        noClasses().should().resideInAPackage("sitelink.os").because("every os class belongs to one concern")
                .check(classes);
    }

    /**
     * The protocol cores take time and randomness from the injected {@code tunnel.Environment} / {@code tunnel.Clock}
     * only, so a fake clock and seeded generators replay a run exactly (issue 10): no system clock, no global random.
     */
    @Test
    void coresReadNoSystemClockAndNoGlobalRandomSource() {
        noClasses().that().resideInAnyPackage("sitelink.wireguard..", "sitelink.ike..", "sitelink.esp..", "sitelink.ipsec..",
                        "sitelink.pqpsk..")
                .should().callMethod(System.class, "nanoTime")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(java.time.Instant.class, "now")
                .orShould().callMethod(java.time.Clock.class, "systemUTC")
                .orShould().callMethod(java.time.Clock.class, "systemDefaultZone")
                .orShould().callMethod(java.util.concurrent.ThreadLocalRandom.class, "current")
                .orShould().callMethod(Math.class, "random")
                .orShould().callConstructor(java.security.SecureRandom.class)
                .orShould().callConstructor(java.util.Random.class)
                .check(classes);
    }

    /**
     * The etcd agent tells time and waits through its {@code AgentClock} only, so its tests drive the lease's renewal
     * and the backoff on a fake clock.
     */
    @Test
    void theAgentReadsNoSystemClockAndWaitsThroughItsClock() {
        noClasses().that().resideInAPackage("sitelink.agent..").and().haveNameNotMatching("sitelink\\.agent\\.AgentClock.*")
                .should().callMethod(System.class, "nanoTime")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(java.time.Instant.class, "now")
                .orShould().callMethod(Object.class, "wait", long.class)
                .orShould().callMethod(Object.class, "wait")
                .orShould().callMethod(Thread.class, "sleep", long.class)
                .check(classes);
    }

    @Test
    void noCyclesBetweenPackages() {
        slices().matching("sitelink.(*)..").should().beFreeOfCycles().check(classes);
    }
}
