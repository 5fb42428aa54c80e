package sitelink.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import sitelink.policy.Rule.PortRange;
import sitelink.policy.Rule.Protocol;
import sitelink.policy.Rule.Scope;
import sitelink.route.Prefix;

class RulesTest {
    @Test
    void parsesTheTextForm() {
        Rule r = Rules.parse("allow to tcp 198.18.2.10/32 port 443");
        assertEquals(new Rule(Scope.TO, Protocol.TCP, Optional.empty(), Optional.of(Prefix.parse("198.18.2.10/32")),
                List.of(PortRange.of(443)), List.of()), r);
        Rule s = Rules.parse("allow from udp src 198.18.2.0/24 dst 198.18.1.53 ports 53,5000-5010");
        assertEquals(List.of(PortRange.of(53), new PortRange(5000, 5010)), s.ports());
        assertEquals(Prefix.parse("198.18.2.0/24"), s.source().orElseThrow());
        Rule t = Rules.parse("allow both icmpv6 type 128,129");
        assertEquals(6, t.family());
        assertEquals(List.of(128, 129), t.icmpTypes());
        Rule any = Rules.parse("allow to");
        assertEquals(Protocol.ANY, any.protocol());
        assertEquals(0, any.family());
    }

    @Test
    void toStringParsesBack() {
        for (String text : List.of("allow to tcp dst 198.18.2.10/32 port 443", "allow both icmp type 0,8",
                "allow from udp src 2001:db8:2::/48 dst 2001:db8:1::53/128 port 53,60000-60010", "allow to any")) {
            assertEquals(Rules.parse(text), Rules.parse(Rules.parse(text).toString()));
            if (!text.contains(":")) { // Prefix prints IPv6 in Java's long form
                assertEquals(text, Rules.parse(text).toString());
            }
        }
    }

    @Test
    void parsesManyLinesWithComments() {
        List<Rule> rules = Rules.parseAll("# site B\nallow to tcp 198.18.2.10 port 443\n\nallow from icmp  # ping\n");
        assertEquals(2, rules.size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rules.parseAll("allow to tcp\nallow sideways tcp\n"));
        assertTrue(e.getMessage().startsWith("line 2: "), e.getMessage());
        assertTrue(e.getMessage().contains("sideways"), e.getMessage());
    }

    @Test
    void refusesNonsense() {
        for (String bad : List.of("deny to tcp", "allow", "allow to udp port 70000", "allow to udp port 10-5",
                "allow to icmp port 22", "allow to tcp type 8", "allow to icmp 2001:db8::/32",
                "allow to icmpv6 198.18.0.0/15", "allow to src 198.18.0.1 dst 2001:db8::1", "allow to tcp port",
                "allow to tcp 198.18.0.0/15 198.18.0.0/16", "allow to tcp 198.18.0.0/33", "allow to icmp type 256",
                "allow to tcp port 1x")) {
            assertThrows(IllegalArgumentException.class, () -> Rules.parse(bad), bad);
        }
    }

    @Test
    void readsMapsAsYamlGivesThem() {
        Rule r = Rules.fromMap(Map.of("direction", "to", "protocol", "tcp", "destination", "198.18.2.0/24",
                "ports", List.of(22, "8000-8080")));
        assertEquals(Rules.parse("allow to tcp dst 198.18.2.0/24 port 22,8000-8080"), r);
        Rule i = Rules.fromMap(Map.of("direction", "both", "protocol", "icmp", "icmp-types", 8));
        assertEquals(List.of(8), i.icmpTypes());
        assertThrows(IllegalArgumentException.class, () -> Rules.fromMap(Map.of("protocol", "tcp")));
        assertThrows(IllegalArgumentException.class, () -> Rules.fromMap(Map.of("direction", "to", "port", 22)));
    }
}
