package io.pyfleet.node.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyObject;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Order on a handle, handles wherever they sit in a value, and arguments no worker can take. */
class OrderAndHandlesTest {

    @Test
    void oneThreadsAsyncCallsOnAHandleRunInOrderAndItsReleaseComesLast() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(2, Map.of("pyfleet.pool.pipeline-depth", 2))) {
            PyObject list = (PyObject) fleet.submit(Call.init("collections.deque", List.of(), Map.of())
                    .with(CallOptions.builder().asHandle().build())).get(10, TimeUnit.SECONDS);
            // Keep the pool busy so that calls would have to queue if they could.
            List<CompletableFuture<Object>> load = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                load.add(fleet.callAsync("fleettest.sleep_then", 0.001, i));
            }
            List<CompletableFuture<Object>> appends = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                appends.add(fleet.submit(Call.method(list, "append", List.of(i), Map.of())));
            }
            CompletableFuture<Object> snapshot = fleet.submit(Call.function("builtins.list", List.of(list), Map.of()));
            for (CompletableFuture<Object> f : appends) {
                f.get(10, TimeUnit.SECONDS);
            }
            List<Long> expected = new ArrayList<>();
            for (long i = 0; i < 300; i++) {
                expected.add(i);
            }
            assertEquals(expected, snapshot.get(10, TimeUnit.SECONDS));
            for (CompletableFuture<Object> f : load) {
                f.get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void handlesInsideSetsAndMapKeysRouteToTheirOwner() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(2)) {
            List<Outcome> made = fleet.identical("fleettest.Owner", "k");
            PyObject onW2 = (PyObject) made.get(1).get();
            for (int i = 0; i < 40; i++) {
                Set<Object> set = new LinkedHashSet<>(List.of(onW2));
                assertEquals(1L, fleet.call("builtins.len", set));
                Map<Object, Object> map = new HashMap<>();
                map.put(onW2, "value");
                assertEquals(1L, fleet.call("builtins.len", map));
            }
        }
    }

    @Test
    void handlesInEventsArriveAsUsableObjects() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(2)) {
            List<Object> events = new CopyOnWriteArrayList<>();
            fleet.submit(Call.function("fleettest.emit_object", List.of("inside"), Map.of())
                    .with(CallOptions.builder().onEvent(events::add).build())).get(10, TimeUnit.SECONDS);
            PyObject box = assertInstanceOf(PyObject.class, events.get(0));
            assertEquals("inside", fleet.method(box, "read"));
            box.close();
        }
    }

    @Test
    void cyclicAndTooDeepArgumentsAreTypedErrorsOnEveryPathAndTheNodeStaysUp() throws Exception {
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        Map<String, Object> cyclicMap = new HashMap<>();
        cyclicMap.put("self", cyclicMap);
        Object deep = List.of();
        for (int i = 0; i < 10_000; i++) {
            deep = List.of(deep);
        }
        try (EmbeddedNode fleet = TestFleets.start(1, Map.of("pyfleet.pool.pipeline-depth", 1))) {
            // Fill the pipeline so that the next calls are queued.
            CompletableFuture<Object> busy = fleet.callAsync("fleettest.sleep_then", 0.5, "busy");
            for (Object bad : List.of(cyclic, cyclicMap, deep)) {
                ExecutionException direct = assertThrows(ExecutionException.class,
                        () -> fleet.callAsync("builtins.len", bad).get(5, TimeUnit.SECONDS));
                assertInstanceOf(ProtocolException.class, direct.getCause());
                assertThrows(ProtocolException.class, () -> fleet.call("builtins.len", bad));
                List<Outcome> scattered = fleet.scatter("builtins.len", List.of(List.of(bad), List.of(List.of(1))));
                assertInstanceOf(ProtocolException.class, scattered.get(0).error());
                List<Outcome> same = fleet.identical("builtins.len", bad);
                assertTrue(same.stream().allMatch(o -> o.error() instanceof ProtocolException), same.toString());
            }
            assertEquals("busy", busy.get(10, TimeUnit.SECONDS));
            assertEquals(3L, fleet.call("builtins.len", List.of(1, 2, 3)), "the node still serves");
        }
    }
}
