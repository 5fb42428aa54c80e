package sitelink.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The endpoint split both the site file and the UAPI use: host and port apart, IPv6 in brackets, errors named. */
class HostPortTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "192.0.2.1:51820        | 192.0.2.1        | 51820 | false",
            "gw.example.org:500     | gw.example.org   | 500   | false",
            "[2001:db8::1]:443      | 2001:db8::1      | 443   | true",
            "[fe80::1%eth0]:51820   | fe80::1%eth0     | 51820 | true",
            "[192.0.2.1]:1          | 192.0.2.1        | 1     | true",
            "192.0.2.1:             | 192.0.2.1        | ''    | false",
            "[2001:db8::1]:         | 2001:db8::1      | ''    | true",
            ":51820                 | ''               | 51820 | false",
            "[a]b]:1                | a]b              | 1     | true",
    })
    void splitsHostAndPortLeavingTheirRulesToTheCaller(String text, String host, String port, boolean bracketed) {
        assertEquals(new HostPort(host, port, bracketed), HostPort.split(text));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "192.0.2.1              | NO_PORT",
            "gw.example.org         | NO_PORT",
            "''                     | NO_PORT",
            "2001:db8::1:51820      | UNBRACKETED_IPV6",
            "[2001:db8::1]          | NO_CLOSING_BRACKET",
            "[2001:db8::1]x:5       | NO_CLOSING_BRACKET",
            "[2001:db8::1           | NO_CLOSING_BRACKET",
    })
    void namesWhyATextIsNotHostColonPort(String text, HostPort.Problem problem) {
        HostPort.Malformed e = assertThrows(HostPort.Malformed.class, () -> HostPort.split(text));
        assertEquals(problem, e.problem());
        assertEquals(IllegalArgumentException.class, e.getClass().getSuperclass(), "callers that catch IllegalArgumentException see it");
    }
}
