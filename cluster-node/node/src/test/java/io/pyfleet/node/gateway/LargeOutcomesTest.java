package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.ProtocolException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Outcomes of scatter and identical that together would not fit a frame: each item that would take the reply
 * past pyfleet.gateway.max-frame-size fails on its own with a typed error (it ran); the others come back, and
 * the connection and its other calls are unharmed.
 */
class LargeOutcomesTest {
    private static final Map<String, Object> SMALL_FRAMES = Map.of("pyfleet.gateway.max-frame-size", "2MiB",
            "pyfleet.gateway.array-read-max", "512KiB");

    @Test
    void identicalResultsTooLargeTogetherFailPerItemAndTheRestComeBack() {
        try (Fleet fleet = TestNodes.remote(2, SMALL_FRAMES)) {
            List<Outcome> outcomes = fleet.identical("builtins.bytes", 1_200_000);
            assertEquals(2, outcomes.size());
            assertTrue(outcomes.get(0).isOk(), "the first item fits: " + outcomes.get(0));
            assertEquals(1_200_000, ((byte[]) outcomes.get(0).value()).length);
            assertTrue(outcomes.get(1).error() instanceof ProtocolException e
                    && e.getMessage().contains("pyfleet.gateway.max-frame-size")
                    && e.getMessage().contains("ran"), "the second would pass the frame: " + outcomes.get(1));
            assertEquals(3L, fleet.call("builtins.abs", -3), "the connection serves on");
        }
    }

    @Test
    void aScatterKeepsEveryItemThatFitsAndFailsTheOthersOneByOne() {
        try (Fleet fleet = TestNodes.remote(2, SMALL_FRAMES)) {
            List<List<?>> items = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                items.add(List.of(i == 3 || i == 7 ? 1_200_000 : 10));
            }
            List<Outcome> outcomes = fleet.scatter("builtins.bytes", items);
            assertEquals(10, outcomes.size());
            int failed = 0;
            for (int i = 0; i < 10; i++) {
                if (!outcomes.get(i).isOk()) {
                    failed++;
                    assertEquals(7, i, "only the item that passes the frame fails: " + outcomes.get(i));
                    assertTrue(outcomes.get(i).error() instanceof ProtocolException);
                }
            }
            assertEquals(1, failed);
            assertEquals(1_200_000, ((byte[]) outcomes.get(3).value()).length);
        }
    }
}
