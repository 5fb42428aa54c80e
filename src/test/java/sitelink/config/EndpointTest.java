package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A site file's endpoint: a DNS name or an IP literal and a port 1..65535; each mistake said in the operator's words. */
class EndpointTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "198.51.100.2:51820      | 198.51.100.2   | 51820",
            "' gw-b.example.org:500 '| gw-b.example.org | 500",
            "[2001:db8::2]:4500      | 2001:db8::2    | 4500",
            "[198.51.100.2]:500      | 198.51.100.2   | 500",
    })
    void parses(String text, String host, int port) {
        Endpoint e = Endpoint.parse(text);
        assertEquals(new Endpoint(host, port), e);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "198.51.100.2            | the port is missing; write host:port",
            "2001:db8::2:51820       | write an IPv6 endpoint as [address]:port",
            "[2001:db8::2]           | write an IPv6 endpoint as [address]:port",
            "[2001:db8::2]x:1        | write an IPv6 endpoint as [address]:port",
            "[[2001:db8::2]]:1       | write an IPv6 endpoint as [address]:port",
            "[a]b]:1                 | write an IPv6 endpoint as [address]:port",
            "gw_b.example.org:500    | 'gw_b.example.org' is neither an IP address nor a DNS name",
            "198.51.100.2:           | '' is not a port number",
            "198.51.100.2:0          | port 0 is outside 1..65535",
            "198.51.100.2:65536      | port 65536 is outside 1..65535",
            "198.51.100.2:+5         | '+5' is not a port number",
            "[gw.example.org]:500    | 'gw.example.org' is not an IP address",
    })
    void refusesSayingWhy(String text, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(text)).getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"198.51.100.2:51820", "[2001:db8::2]:500", "gw-b.example.org:500"})
    void printsAsWritten(String text) {
        assertEquals(text, Endpoint.parse(text).toString());
    }
}
