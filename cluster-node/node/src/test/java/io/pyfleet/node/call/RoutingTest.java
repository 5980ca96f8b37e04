package io.pyfleet.node.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.internal.Handle;
import io.pyfleet.node.config.PyfleetSettings.Strategy;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one routing strategy, without processes: places taken, order kept, owners found. */
class RoutingTest {

    private static Lane[] lanes(int n) {
        Lane[] lanes = new Lane[n];
        for (int i = 0; i < n; i++) {
            lanes[i] = new Lane("w" + (i + 1), 1, null, new Lane.Counters());
        }
        return lanes;
    }

    @Test
    void leastInFlightPicksTheLeastLoadedAndTakesItsPlace() {
        Lane[] lanes = lanes(3);
        lanes[0].inFlight.set(5);
        lanes[1].inFlight.set(2);
        lanes[2].inFlight.set(4);
        Lane picked = new Routing(Strategy.LEAST_IN_FLIGHT).pick(lanes, 32);
        assertSame(lanes[1], picked);
        assertEquals(3, lanes[1].inFlight.get());
    }

    @Test
    void roundRobinTakesEachInTurn() {
        Lane[] lanes = lanes(3);
        Routing routing = new Routing(Strategy.ROUND_ROBIN);
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            order.append(routing.pick(lanes, 32).workerId).append(' ');
        }
        assertEquals("w1 w2 w3 w1 w2 w3 ", order.toString());
    }

    @Test
    void randomSpreadsOverAllAndSkipsFullOnes() {
        Lane[] lanes = lanes(4);
        lanes[3].inFlight.set(8);
        Routing routing = new Routing(Strategy.RANDOM);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            Lane lane = routing.pick(lanes, 8);
            seen.merge(lane.workerId, 1, Integer::sum);
            lane.inFlight.decrementAndGet();
        }
        assertEquals(3, seen.size(), "the full lane is never picked: " + seen);
        seen.values().forEach(n -> assertTrue(n > 60, "spread: " + seen));
    }

    @Test
    void noneWhenEveryLaneIsAtDepthOrClosed() {
        Lane[] lanes = lanes(2);
        lanes[0].inFlight.set(2);
        lanes[1].open = false;
        for (Strategy s : Strategy.values()) {
            assertNull(new Routing(s).pick(lanes, 2), s.name());
        }
        assertNull(new Routing(Strategy.LEAST_IN_FLIGHT).pick(new Lane[0], 2));
    }

    @Test
    void affinityFindsTheOwningGenerationOnly() {
        Lane[] lanes = lanes(3);
        assertSame(lanes[1], Routing.owner(lanes, new Handle("local", "w2", 1, 7, "builtins.object")));
        assertNull(Routing.owner(lanes, new Handle("local", "w2", 0, 7, "builtins.object")), "older generation");
        assertNull(Routing.owner(lanes, new Handle("local", "w9", 1, 7, "builtins.object")), "unknown worker");
    }
}
