package sitelink.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrafficSelectorTest {
    @Test
    void narrowingIsTheIntersection() {
        TrafficSelector wide = TrafficSelector.subnet("198.18.0.0/15"), net = TrafficSelector.subnet("198.18.4.0/24");
        assertEquals(net, wide.intersect(net).orElseThrow());
        assertTrue(net.within(wide));
        assertTrue(TrafficSelector.subnet("198.18.0.0/24").intersect(TrafficSelector.subnet("198.18.1.0/24")).isEmpty());
        assertTrue(TrafficSelector.subnet("198.18.0.0/24").intersect(TrafficSelector.subnet("2001:db8::/32")).isEmpty());
        assertEquals(List.of(net), TrafficSelector.narrow(List.of(wide), List.of(net, TrafficSelector.subnet("203.0.113.0/24"))));
        assertEquals("198.18.0.0/15", wide.toString());
        assertEquals("0.0.0.0/0", TrafficSelector.subnet("0.0.0.0/0").toString());
    }
}
