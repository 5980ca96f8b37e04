package io.pyfleet.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.Coerce;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.Kwargs;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PyComplex;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.WorkerLostException;
import java.math.BigInteger;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The one API suite: every {@link Fleet}, embedded or connected to a node over TCP, must pass
 * it, so the two cannot drift apart. The README's Java tour is its first test, run as written.
 * A subclass says how to open a fleet of a given size; each test opens its own when it
 * changes the pool, else shares one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class FleetContract {
    private Fleet shared;

    /** A fleet with this many workers, the test modules on its path. */
    protected abstract Fleet open(int workers);

    /** What the tests should call the fleet in messages. */
    protected abstract String kind();

    protected Fleet fleet() {
        if (shared == null) {
            shared = open(2);
        }
        return shared;
    }

    @AfterAll
    void closeShared() {
        if (shared != null) {
            shared.close();
        }
    }

    @Test
    void theReadmeTourRunsAndSaysWhatTheReadmeSays() throws Exception {
        try (Fleet fleet = open(2)) {
            assertEquals(42L, fleet.call("builtins.int", "101010", Kwargs.of("base", 2)));
            assertEquals(true, fleet.call("os.path.isdir", "/tmp"));
            assertEquals(3.141592653589793, fleet.constant("math.pi"));
            assertEquals(3L, fleet.constant("math.pi", Coerce.INT));
            assertEquals(new BigInteger("481229803398374426442198455156736"), fleet.builtin("pow", 6, 42));
            assertEquals(42L, fleet.operator("floordiv", 462, 11));

            Object date = fleet.init("datetime.date", 1923, 4, 2);
            assertEquals(LocalDate.of(1923, 4, 2), date);
            assertEquals("1923.04.02", fleet.method(date, "strftime", "%Y.%m.%d"));
            assertEquals(1923L, fleet.attr(date, "year"));

            try (PyObject window = (PyObject) fleet.init("collections.deque", List.of(1, 2, 3), Kwargs.of("maxlen", 3))) {
                fleet.method(window, "append", 4);
                assertEquals(List.of(2L, 3L, 4L), fleet.builtin("list", window));
            }
            assertInstanceOf(Map.class, fleet.init("collections.Counter", "abracadabra"));
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
            assertEquals(3, fleet.poolSize());
            assertTrue(fleet.stats().totalCalls() > 0);
        }
    }

    @Test
    void aListOrAMapIsOnePositionalArgumentAndOnlyATrailingKwargsGivesKeywords() {
        Fleet fleet = fleet();
        // fleettest.echo(*args, **kwargs) answers [args, kwargs]
        assertEquals(List.of(List.of(List.of(1.0, 2.0)), Map.of()), fleet.call("fleettest.echo", List.of(1.0, 2.0)),
                kind() + ": a List is one list argument");
        assertEquals(List.of(List.of(List.of(1.0, 2.0), Map.of()), Map.of()),
                fleet.call("fleettest.echo", List.of(1.0, 2.0), Map.of()),
                kind() + ": a List and a Map are two positional arguments, a list and a dict");
        assertEquals(List.of(List.of(Map.of("a", 1L)), Map.of()), fleet.call("fleettest.echo", Map.of("a", 1)),
                kind() + ": a Map alone is one dict argument, not keywords");
        assertEquals(List.of(List.of(List.of(1.0, 2.0)), Map.of("a", 1L, "b", "x")),
                fleet.call("fleettest.echo", List.of(1.0, 2.0), Kwargs.of("a", 1, "b", "x")),
                kind() + ": a Kwargs last gives keyword arguments");
        assertEquals(List.of(List.of(), Map.of("a", 1L)), fleet.call("fleettest.echo", Kwargs.of("a", 1)));
        assertEquals(List.of(List.of(), Map.of()), fleet.call("fleettest.echo", Kwargs.none()));
        assertEquals(List.of(List.of(List.of(1L)), Map.of("a", 1L)),
                Fleet.join(fleet.callAsync("fleettest.echo", List.of(1), Kwargs.of("a", 1))));
        assertEquals(List.of(List.of(List.of(1L)), Map.of("a", 1L)), fleet.identical("fleettest.echo", List.of(1),
                Kwargs.of("a", 1)).get(0).get());
        assertEquals(List.of(3L), fleet.init("collections.deque", List.of(1, 2, 3), Kwargs.of("maxlen", 1))
                instanceof PyObject d ? fleet.builtin("list", d) : null);
        assertEquals("1-2", fleet.method("-", "join", List.of("1", "2")));
        assertEquals(List.of(3L, 2L, 1L), fleet.builtin("sorted", List.of(1, 3, 2), Kwargs.of("reverse", true)));
        // a Kwargs anywhere but last is refused before anything is sent
        for (org.junit.jupiter.api.function.Executable misplaced : List.<org.junit.jupiter.api.function.Executable>of(
                () -> fleet.call("fleettest.echo", Kwargs.of("a", 1), 2),
                () -> fleet.callAsync("fleettest.echo", Kwargs.of("a", 1), Kwargs.of("b", 2)),
                () -> fleet.init("collections.deque", Kwargs.of("maxlen", 1), List.of()),
                () -> fleet.method("-", "join", Kwargs.of("a", 1), List.of()),
                () -> fleet.builtin("sorted", Kwargs.of("reverse", true), List.of()),
                () -> fleet.identical("fleettest.echo", Kwargs.of("a", 1), 2))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, misplaced);
            assertEquals("keyword arguments (Kwargs) must come last, not at position 0", e.getMessage());
        }
    }

    @Test
    void valuesOfEveryKindComeBackAsTheyWent() {
        Set<Object> set = new LinkedHashSet<>(List.of(1L, "two"));
        List<Object> values = List.of(Long.MIN_VALUE, new BigInteger("123456789012345678901234567890"), -0.0,
                Double.NaN, "ünïcødé", new byte[] {0, 1, (byte) 255}, List.of(1L, List.of()), PyTuple.of(1L, "a"),
                set, Map.of("k", List.of(1L)), LocalDateTime.of(2024, 2, 29, 23, 59, 59, 123_456_000),
                Duration.ofDays(-1).plusSeconds(5), new PyComplex(1.5, -2.0),
                NdArray.ofDoubles(new double[] {1, 2, 3, 4}, 2, 2));
        for (Object v : values) {
            Object back = ((List<?>) ((List<?>) fleet().call("fleettest.echo", v)).get(0)).get(0);
            if (v instanceof byte[] b) {
                assertTrue(java.util.Arrays.equals(b, (byte[]) back), kind());
            } else if (v instanceof Double d && d.isNaN()) {
                assertTrue(((Double) back).isNaN());
            } else {
                assertEquals(v, back, () -> kind() + " round trip of " + v);
            }
        }
    }

    @Test
    void failuresAreTyped() {
        Fleet fleet = fleet();
        PythonException missing = assertThrows(PythonException.class, () -> fleet.call("no_such_module.f"));
        assertTrue(missing.pythonType().endsWith("ModuleNotFoundError"), missing.pythonType());
        PythonException raised = assertThrows(PythonException.class, () -> fleet.call("fleettest.boom", "bang"));
        assertTrue(raised.pythonTraceback().contains("boom"), "the traceback comes along");
        CallTimeoutException late = assertThrows(CallTimeoutException.class, () -> Fleet.join(fleet.submit(
                Call.function("fleettest.sleep", List.of(30), Map.of())
                        .with(CallOptions.builder().timeout(Duration.ofMillis(300)).build()))));
        assertCallersFrame(late, "failuresAreTyped");
        assertTrue(late.getMessage().contains("pyfleet.pool.call-timeout"), late.getMessage());
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        assertThrows(ProtocolException.class, () -> fleet.call("fleettest.echo", cyclic));
        WorkerLostException lost = assertThrows(WorkerLostException.class, () -> fleet.call("fleettest.exit_hard", 3));
        assertTrue(lost.mayHaveRun());
        assertCallersFrame(lost, "failuresAreTyped");
        assertEquals(5L, fleet.builtin("abs", -5), "the fleet serves on");
    }

    /**
     * A failure a sync call rethrows shows the caller's frames (here a lambda of the test method) on top, not
     * those of the watchdog or reader thread that ended the call; the future's failure is its cause.
     */
    private static void assertCallersFrame(PyFleetException e, String testMethod) {
        StackTraceElement top = e.getStackTrace()[0];
        assertEquals(FleetContract.class.getName(), top.getClassName(), "the caller's frame on top: " + top);
        assertTrue(top.getMethodName().startsWith("lambda$" + testMethod + "$"), top.toString());
        FailureStacks.assertNoInternalThread(e);
        assertInstanceOf(e.getClass(), e.getCause(), "the future's failure is the cause");
    }

    @Test
    void failuresPointAtThePythonLineAndAtTheCaller() throws Exception {
        Fleet fleet = fleet();
        StackTraceElement caller = null;
        try {
            caller = FailureStacks.nextLine();
            fleet.call("fleettest.fail_deep", 1);
            fail("fail_deep returned");
        } catch (PythonException e) {
            FailureStacks.assertSync(e, 1, caller);
        }

        Object async = fleet.callAsync("fleettest.fail_deep", 2).exceptionally(t -> t).get(30, TimeUnit.SECONDS);
        FailureStacks.assertAsync(async instanceof java.util.concurrent.CompletionException c ? c.getCause()
                : (Throwable) async, 2);

        List<Outcome> scattered = fleet.scatter("fleettest.fail_deep", List.of(List.of(3), List.of(4)));
        FailureStacks.assertAsync(scattered.get(0).error(), 3);
        FailureStacks.assertAsync(scattered.get(1).error(), 4);
        for (Outcome o : fleet.identical("fleettest.fail_deep", 5)) {
            FailureStacks.assertAsync(o.error(), 5);
        }
    }

    @Test
    void objectsStayInTheirWorkerUntilReleased() {
        Fleet fleet = fleet();
        PyObject deque = (PyObject) fleet.init("collections.deque");
        for (int i = 0; i < 100; i++) {
            fleet.method(deque, "append", i); // one after the other, in order, on the owner
        }
        assertEquals(IntStream.range(0, 100).mapToObj(i -> (long) i).toList(), fleet.builtin("list", deque));
        Object mixed = fleet.call("fleettest.mixed");
        PyObject inside = (PyObject) ((List<?>) mixed).get(1);
        assertEquals("builtins.object", inside.type());
        deque.close();
        assertThrows(StaleHandleException.class, () -> fleet.builtin("len", deque));
    }

    @Test
    void unreachableObjectsAreReleasedByTheCleaner() throws Exception {
        try (Fleet fleet = open(2)) { // its own: no other test kills its workers meanwhile
            long before = handlesHeld(fleet);
            List<Object> held = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                held.add(fleet.init("collections.deque", List.of(i)));
            }
            assertEquals(before + 50, handlesHeld(fleet), "the workers hold the 50 objects");
            held.clear(); // unreachable now: only the Cleaner can release them
            Eventually.await(Duration.ofSeconds(20), () -> {
                System.gc();
                return handlesHeld(fleet) <= before;
            }, () -> kind() + ": the workers still hold " + handlesHeld(fleet) + " objects, " + before + " before");
        }
    }

    /** Objects the workers hold, all together (the versions op counts them). */
    private static long handlesHeld(Fleet fleet) {
        return fleet.identicalAsync(Call.versions()).join().stream()
                .mapToLong(o -> (Long) ((Map<?, ?>) o.get()).get("handles")).sum();
    }

    @Test
    void eventsArriveInOrderBeforeTheResultAndStreamsDeliverEachItem() throws Exception {
        Fleet fleet = fleet();
        List<Object> events = Collections.synchronizedList(new ArrayList<>());
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        Object result = Fleet.join(fleet.submit(Call.function("fleettest.emit_some", List.of(200), Map.of())
                .with(CallOptions.builder().onEvent(e -> {
                    events.add(e);
                    threads.add(Thread.currentThread().getName());
                }).build())));
        assertEquals("done", result);
        assertEquals(IntStream.range(0, 200).mapToObj(i -> (long) i).toList(), events);
        assertTrue(threads.stream().noneMatch(t -> t.contains("reader")), "no user code on a reader: " + threads.get(0));
        List<Object> items = Collections.synchronizedList(new ArrayList<>());
        Object count = Fleet.join(fleet.submit(Call.function("fleettest.countdown", List.of(5), Map.of())
                .with(CallOptions.builder().stream(items::add).build())));
        assertEquals(5L, count);
        assertEquals(List.of(5L, 4L, 3L, 2L, 1L), items);
    }

    @Test
    void asyncStagesRunOffTheNodesThreadsAndManyCallsOverlap() throws Exception {
        Fleet fleet = fleet();
        List<CompletableFuture<Object>> calls = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            calls.add(fleet.callAsync("builtins.abs", -i));
        }
        String[] stageThread = new String[1];
        Object chained = fleet.callAsync("builtins.abs", -3).thenApply(v -> {
            stageThread[0] = Thread.currentThread().getName();
            return fleet.builtin("abs", -((Long) v) * 2); // a blocking call inside a stage is fine
        }).get(10, TimeUnit.SECONDS);
        assertEquals(6L, chained);
        assertFalse(stageThread[0].contains("reader"), stageThread[0]);
        for (int i = 0; i < calls.size(); i++) {
            assertEquals((long) i, calls.get(i).get(30, TimeUnit.SECONDS));
        }
        List<Outcome> squares = fleet.scatter("fleettest.square_or_fail",
                IntStream.range(1, 50).mapToObj(i -> List.<Object>of(i)).toList());
        for (int i = 1; i < 50; i++) {
            Outcome o = squares.get(i - 1);
            if (i % 7 == 0) {
                assertInstanceOf(PythonException.class, o.error());
            } else {
                assertEquals((long) i * i, o.get());
            }
        }
    }

    @Test
    void statsDescribeTheWorkers() {
        Fleet fleet = fleet();
        fleet.builtin("abs", -1);
        Eventually.await(Duration.ofSeconds(15), () -> fleet.stats().workers().stream().allMatch(w -> w.ready()),
                () -> "every worker serves (one may be restarting after another test killed it)");
        var stats = fleet.stats();
        assertEquals(2, stats.workers().size());
        assertTrue(stats.workers().stream().allMatch(w -> w.pid() > 0 && w.ready()), stats.toString());
        assertTrue(stats.totalCalls() >= 1);
    }
}
