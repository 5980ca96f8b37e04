package io.pyfleet.node.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.OverloadedException;
import io.pyfleet.client.PoolFailedException;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The supervised pool through the embedded Fleet: real actors, real CPython workers. */
class PoolTest {

    private static void awaitFullPool(Fleet fleet, int size) {
        Eventually.await(Duration.ofSeconds(15), () -> {
            PoolStats stats = fleet.stats();
            return stats.workers().size() == size && stats.workers().stream().allMatch(PoolStats.WorkerStats::ready);
        }, () -> "the pool back to " + size + " serving workers: " + fleet.stats());
    }

    /** Waits until the worker slot serves again after its n-th restart. */
    private static PoolStats.WorkerStats awaitRestarts(Fleet fleet, String id, int restarts) {
        return Eventually.awaitValue(Duration.ofSeconds(15), () -> {
            PoolStats.WorkerStats w = worker(fleet, id);
            return w.ready() && w.restarts() >= restarts ? w : null;
        }, () -> "worker " + id + " serving after restart " + restarts + ": " + fleet.stats());
    }

    private static long handles(Fleet fleet) {
        return ((Number) fleet.versions().get("handles")).longValue();
    }

    private static PoolStats.WorkerStats worker(Fleet fleet, String id) {
        return fleet.stats().workers().stream().filter(w -> w.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void killDashNineMidCallFailsThatCallerAndThePoolHeals() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(2)) {
            Object handle = fleet.init("fleettest.Owner", "victim");
            PyObject victim = assertInstanceOf(PyObject.class, handle);
            long pid = (Long) fleet.method(victim, "where");
            CompletableFuture<Object> sleeping = fleet.submit(Call.method(victim, "where", List.of(), Map.of()));
            sleeping.get(5, TimeUnit.SECONDS);
            // The sleeper says "started" with its pid once it runs in Python: kill that worker mid-call.
            CompletableFuture<Object> started = new CompletableFuture<>();
            CompletableFuture<Object> stuck = fleet.submit(Call.function("fleettest.started_then_sleep",
                    List.of(30), Map.of()).with(CallOptions.builder().onEvent(started::complete).build()));
            long busyPid = ((Number) ((Map<?, ?>) started.get(5, TimeUnit.SECONDS)).get("started")).longValue();
            String busy = fleet.stats().workers().stream().filter(w -> w.pid() == busyPid)
                    .map(PoolStats.WorkerStats::id).findFirst().orElseThrow();
            assertEquals(1, worker(fleet, busy).inFlight(), "the sleeping call is in its worker");
            long killedAt = System.nanoTime();
            new ProcessBuilder("kill", "-9", Long.toString(busyPid)).start().waitFor();
            ExecutionException e = assertThrows(ExecutionException.class, () -> stuck.get(1, TimeUnit.SECONDS));
            assertInstanceOf(WorkerLostException.class, e.getCause());
            assertTrue((System.nanoTime() - killedAt) < TimeUnit.SECONDS.toNanos(1));
            PoolStats.WorkerStats restarted = awaitRestarts(fleet, busy, 1);
            awaitFullPool(fleet, 2);
            assertEquals(3L, fleet.operator("add", 1, 2));
            assertEquals(1, restarted.restarts());
            assertNotEquals(busyPid, restarted.pid());
            if (busyPid == pid) {
                assertThrows(StaleHandleException.class, () -> fleet.method(victim, "where"));
            } else {
                assertEquals(pid, fleet.method(victim, "where"), "the other worker's object survived");
            }
        }
    }

    @Test
    void aCallSleepingForeverTimesOutAndItsWorkerIsReplaced() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(1, Map.of("pyfleet.pool.call-timeout", "500ms"))) {
            long before = fleet.stats().workers().get(0).pid();
            PyFleetException e = assertThrows(PyFleetException.class, () -> fleet.call("time.sleep", 3600));
            assertInstanceOf(CallTimeoutException.class, e);
            PoolStats.WorkerStats after = awaitRestarts(fleet, "w1", 1);
            assertNotEquals(before, after.pid());
            assertEquals(1, after.restarts());
            assertEquals(42L, fleet.operator("mul", 6, 7));
            Call quick = Call.function("fleettest.sleep_then", List.of(0.05, "ok"), Map.of())
                    .with(CallOptions.builder().timeout(Duration.ofSeconds(5)).build());
            assertEquals("ok", Fleet.join(fleet.submit(quick)), "a per-call timeout overrides the default");
        }
    }

    @Test
    void aCallAllocatingWithoutBoundDiesAlone() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(2, Map.of("pyfleet.worker.memory-limit", "1GiB"))) {
            CompletableFuture<Object> steady = fleet.submit(Call.function("fleettest.sleep_then",
                    List.of(1.0, "steady"), Map.of()));
            PyFleetException e = assertThrows(PyFleetException.class, () -> fleet.call("fleettest.eat_memory"));
            assertTrue(e instanceof WorkerLostException
                    || e instanceof PythonException p && p.pythonType().equals("builtins.MemoryError"), e.toString());
            assertEquals("steady", steady.get(10, TimeUnit.SECONDS), "the other worker's call was untouched");
            awaitFullPool(fleet, 2);
            assertEquals(5L, fleet.operator("add", 2, 3));
        }
    }

    @Test
    void exceedingTheRestartIntensityFailsThePoolClearly() throws Exception {
        Map<String, Object> strict = Map.of("pyfleet.supervision.max-restarts", 2,
                "pyfleet.supervision.within", "1m", "pyfleet.supervision.min-backoff", "1ms");
        try (EmbeddedNode fleet = TestFleets.start(1, strict)) {
            for (int kill = 0; kill < 3; kill++) {
                awaitFullPool(fleet, 1);
                long killed = fleet.stats().workers().get(0).pid();
                fleet.killWorker("w1");
                Eventually.await(Duration.ofSeconds(5), () -> {
                    PoolStats stats = fleet.stats();
                    return stats.failed() != null || stats.workers().isEmpty() || !stats.workers().get(0).ready()
                            || stats.workers().get(0).pid() != killed;
                }, () -> "the kill of pid " + killed + " took effect: " + fleet.stats());
            }
            String failure = Eventually.awaitValue(Duration.ofSeconds(5), () -> fleet.stats().failed(),
                    () -> "the pool fails: " + fleet.stats());
            assertTrue(failure.contains("restart intensity"), failure);
            PoolFailedException e = assertThrows(PoolFailedException.class, () -> fleet.operator("add", 1, 2));
            assertTrue(e.getMessage().contains("w1"), e.getMessage());
        }
    }

    @Test
    void aBrokenInterpreterFailsTheStartAtOnce() {
        PoolFailedException e = assertThrows(PoolFailedException.class,
                () -> TestFleets.start(2, Map.of("pyfleet.worker.interpreter", "/nonexistent/python3")));
        assertTrue(e.getMessage().contains("/nonexistent/python3"), e.getMessage());
    }

    @Test
    void twoThousandConcurrentCallsEachEndInExactlyOneOutcome() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(2, Map.of("pyfleet.pool.call-timeout", "2s"))) {
            int n = 2000;
            List<CompletableFuture<Object>> futures = new ArrayList<>();
            AtomicInteger completions = new AtomicInteger();
            for (int i = 0; i < n; i++) {
                CompletableFuture<Object> f = switch (i % 4) {
                    case 0 -> fleet.callAsync("operator.add", i, 1);
                    case 1 -> fleet.callAsync("fleettest.square_or_fail", i);
                    case 2 -> fleet.callAsync("fleettest.boom", "item " + i);
                    default -> fleet.callAsync("fleettest.sleep_then", 0.0005, i);
                };
                f.whenComplete((v, t) -> completions.incrementAndGet());
                futures.add(f);
                if (i == n / 2) {
                    fleet.killWorker("w1");
                }
            }
            int ok = 0;
            int failed = 0;
            for (int i = 0; i < n; i++) {
                try {
                    Object v = futures.get(i).get(60, TimeUnit.SECONDS);
                    ok++;
                    switch (i % 4) {
                        case 0 -> assertEquals((long) i + 1, v);
                        case 1 -> assertEquals((long) i * i, v);
                        case 3 -> assertEquals((long) i, v);
                        default -> throw new AssertionError("boom returned " + v);
                    }
                } catch (ExecutionException e) {
                    failed++;
                    assertInstanceOf(PyFleetException.class, e.getCause());
                    if (i % 4 != 2 && !(i % 4 == 1 && i % 7 == 0)) {
                        assertInstanceOf(WorkerLostException.class, e.getCause(), "item " + i);
                    }
                }
            }
            assertEquals(n, ok + failed);
            Eventually.await(Duration.ofSeconds(5), () -> completions.get() >= n,
                    () -> completions.get() + " of " + n + " completion callbacks ran");
            assertEquals(n, completions.get(), "every future completed once");
            assertTrue(failed >= n / 4, "every boom failed");
            assertTrue(failed <= n / 4 + n / 28 + 2 + 40, "only the killed worker's call in service was lost: " + failed);
        }
    }

    @Test
    void handleCallsGoToTheirOwnerEvenWithOtherWorkersIdle() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(3)) {
            PyObject owner = (PyObject) fleet.init("fleettest.Owner", "mine");
            long ownerPid = worker(fleet, ApiAccess.handle(owner).worker()).pid();
            List<CompletableFuture<Object>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                calls.add(fleet.submit(Call.method(owner, "where", List.of(), Map.of())));
            }
            for (CompletableFuture<Object> c : calls) {
                assertEquals(ownerPid, c.get(10, TimeUnit.SECONDS));
            }
            assertEquals("mine", fleet.attr(owner, "label"));
            Set<Object> pids = new HashSet<>();
            for (Outcome o : fleet.identical("os.getpid")) {
                pids.add(o.get());
            }
            assertEquals(3, pids.size(), "identical call reached every worker");
        }
    }

    @Test
    void objectsOfDifferentWorkersCannotMeetInOneCall() {
        try (EmbeddedNode fleet = TestFleets.start(2)) {
            Call make = Call.init("fleettest.Owner", List.of("one of two"), Map.of())
                    .with(CallOptions.builder().asHandle().build());
            List<Outcome> owners = Fleet.join(fleet.identicalAsync(make));
            PyObject first = (PyObject) owners.get(0).get();
            PyObject second = (PyObject) owners.get(1).get();
            assertNotEquals(ApiAccess.handle(first).worker(), ApiAccess.handle(second).worker());
            StaleHandleException e = assertThrows(StaleHandleException.class,
                    () -> fleet.builtin("max", first, second));
            assertTrue(e.getMessage().contains("different workers"), e.getMessage());
            assertEquals("one of two", fleet.attr(second, "label"), "each still works on its own");
        }
    }

    @Test
    void scatterOfAThousandItemsKeepsOrderAndErrorsInPlace() {
        try (EmbeddedNode fleet = TestFleets.start(2)) {
            List<List<?>> items = new ArrayList<>();
            for (int i = 1; i <= 1000; i++) {
                items.add(List.of(i));
            }
            List<Outcome> outcomes = fleet.scatter("fleettest.square_or_fail", items);
            assertEquals(1000, outcomes.size());
            for (int i = 1; i <= 1000; i++) {
                Outcome o = outcomes.get(i - 1);
                if (i % 7 == 0) {
                    PythonException e = assertInstanceOf(PythonException.class, o.error(), "item " + i);
                    assertEquals("builtins.ArithmeticError", e.pythonType());
                    assertEquals(i + " is a multiple of 7", e.pythonMessage());
                } else {
                    assertEquals((long) i * i, o.get(), "item " + i);
                }
            }
            assertTrue(fleet.stats().workers().stream().allMatch(w -> w.calls() > 0), "both workers took part");
            assertEquals(List.of(), fleet.scatter("math.sqrt", List.of()));
        }
    }

    @Test
    void aScatterItemThatKillsItsWorkerFailsAloneAndTheRestSucceed() {
        try (EmbeddedNode fleet = TestFleets.start(2)) {
            List<List<?>> items = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                items.add(List.of(i));
            }
            List<Outcome> outcomes = fleet.scatter("fleettest.die_on_13", items);
            for (int i = 0; i < outcomes.size(); i++) {
                if (i == 13) {
                    assertInstanceOf(WorkerLostException.class, outcomes.get(i).error());
                } else {
                    assertEquals((long) i, outcomes.get(i).get(), "item " + i);
                }
            }
        }
    }

    @Test
    void aFullQueueRefusesNewCallsAtOnce() throws Exception {
        Map<String, Object> tiny = Map.of("pyfleet.pool.pipeline-depth", 1, "pyfleet.pool.queue-bound", 3);
        try (EmbeddedNode fleet = TestFleets.start(1, tiny)) {
            List<CompletableFuture<Object>> calls = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                calls.add(fleet.callAsync("fleettest.sleep_then", 0.2, i));
            }
            int overloaded = 0;
            int done = 0;
            for (CompletableFuture<Object> c : calls) {
                try {
                    c.get(10, TimeUnit.SECONDS);
                    done++;
                } catch (ExecutionException e) {
                    OverloadedException full = assertInstanceOf(OverloadedException.class, e.getCause());
                    assertTrue(full.getMessage().contains("(3 calls waiting, pyfleet.pool.queue-bound)")
                            && full.getMessage().contains("or raise pyfleet.pool.queue-bound"), full.getMessage());
                    overloaded++;
                }
            }
            assertEquals(4, done, "one in the worker, three in the queue");
            assertEquals(6, overloaded);
        }
    }

    @Test
    void resizeGrowsAndShrinksAfterDraining() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            fleet.resize(3);
            awaitFullPool(fleet, 3);
            List<CompletableFuture<Object>> slow = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                slow.add(fleet.callAsync("fleettest.sleep_then", 0.3, i));
            }
            // Shrink once the six calls are in the workers (or done): the removed workers must drain theirs.
            Eventually.await(Duration.ofSeconds(5), () -> fleet.stats().workers().stream()
                    .mapToInt(PoolStats.WorkerStats::inFlight).sum() + slow.stream().filter(CompletableFuture::isDone)
                    .count() >= 6, () -> "the six calls reached the workers: " + fleet.stats());
            fleet.resize(1);
            for (int i = 0; i < 6; i++) {
                assertEquals((long) i, slow.get(i).get(10, TimeUnit.SECONDS), "drained, not dropped");
            }
            awaitFullPool(fleet, 1);
            assertEquals(1, fleet.identical("os.getpid").size());
        }
    }

    @Test
    void handlesAreReleasedOnCloseAndByTheCleaner() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            PyObject kept = (PyObject) fleet.builtin("object");
            kept.close();
            assertThrows(StaleHandleException.class, () -> fleet.builtin("repr", kept));
            long before = handles(fleet);
            for (int i = 0; i < 50; i++) {
                assertInstanceOf(PyObject.class, fleet.builtin("object"));
            }
            long held = Eventually.awaitValue(Duration.ofSeconds(10), () -> {
                System.gc();
                long now = handles(fleet);
                return now <= before ? Long.valueOf(now) : null;
            }, () -> "unreachable PyObjects released: " + handles(fleet) + " handles held, " + before + " before");
            assertEquals(before, held, "unreachable PyObjects were released");
            assertNull(fleet.stats().failed());
            assertFalse(fleet.stats().workers().isEmpty());
        }
    }
}
