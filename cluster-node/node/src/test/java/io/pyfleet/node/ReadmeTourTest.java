package io.pyfleet.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Coerce;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.PyTuple;
import java.math.BigInteger;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's Java API tour, run as written (with the test interpreter), so it stays true. */
class ReadmeTourTest {

    @Test
    void theTourRunsAndSaysWhatTheReadmeSays() throws Exception {
        try (Fleet fleet = TestFleets.start(2)) {
            assertEquals(42L, fleet.call("builtins.int", List.of("101010"), Map.of("base", 2)));
            assertEquals(true, fleet.call("os.path.isdir", "/tmp"));
            assertEquals(3.141592653589793, fleet.constant("math.pi"));
            assertEquals(3L, fleet.constant("math.pi", Coerce.INT));
            assertEquals(new BigInteger("481229803398374426442198455156736"), fleet.builtin("pow", 6, 42));
            assertEquals(42L, fleet.operator("floordiv", 462, 11));

            Object date = fleet.init("datetime.date", List.of(1923, 4, 2), Map.of());
            assertEquals(LocalDate.of(1923, 4, 2), date);
            assertEquals("1923.04.02", fleet.method(date, "strftime", "%Y.%m.%d"));
            assertEquals(1923L, fleet.attr(date, "year"));

            try (PyObject window = (PyObject) fleet.init("collections.deque", List.of(List.of(1, 2, 3)),
                    Map.of("maxlen", 3))) {
                fleet.method(window, "append", 4);
                assertEquals(List.of(2L, 3L, 4L), fleet.builtin("list", window));
            }
            assertInstanceOf(Map.class, fleet.init("collections.Counter", List.of("abracadabra"), Map.of()));
            PyObject counter = (PyObject) Fleet.join(fleet.submit(Call.init("collections.Counter",
                    List.of("abracadabra"), Map.of()).with(CallOptions.builder().asHandle().build())));
            assertEquals("collections.Counter", counter.type());
            assertEquals(List.of(PyTuple.of("a", 5L), PyTuple.of("b", 2L)), fleet.method(counter, "most_common", 2));

            List<Object> events = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Object> f = fleet.submit(Call.function("fleettest.progress", List.of(3), Map.of())
                    .with(CallOptions.builder().timeout(Duration.ofMinutes(5)).onEvent(events::add).build()));
            assertEquals("done", f.get(10, TimeUnit.SECONDS));
            assertEquals(3, events.size());

            List<Outcome> pids = fleet.identical("os.getpid");
            assertEquals(2, pids.size());
            List<Outcome> roots = fleet.scatter("math.sqrt", List.of(List.of(1), List.of(4), List.of(-1)));
            assertEquals(List.of(1.0, 2.0), List.of(roots.get(0).get(), roots.get(1).get()));
            PythonException domain = assertInstanceOf(PythonException.class, roots.get(2).error());
            assertEquals("builtins.ValueError: math domain error", domain.getMessage());

            fleet.resize(3);
            Eventually.await(Duration.ofSeconds(15), () -> fleet.stats().workers().stream().filter(w -> w.ready())
                    .count() >= 3, () -> "three serving workers: " + fleet.stats());
            assertEquals(3, fleet.identical("os.getpid").size());
            assertTrue(fleet.stats().totalCalls() > 0);
        }
    }
}
