package io.pyfleet.node.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A call that may have run is never run again; only calls that never started move. */
class AtMostOnceTest {

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static Map<String, Long> runs(EmbeddedNode fleet, Path dir) {
        return (Map<String, Long>) fleet.call("fleettest.runs", dir.toString());
    }

    @Test
    void aReplyTheNodeCannotDecodeFailsThatCallAloneAndTheWorkerKeepsServing() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            long pid = (Long) fleet.call("fleettest.pid");
            CompletableFuture<Object> offset = fleet.callAsync("fleettest.far_offset");
            CompletableFuture<Object> deep = fleet.callAsync("fleettest.deep", 600);
            CompletableFuture<Object> behind = fleet.callAsync("fleettest.mark", dir.toString(), "behind");
            ExecutionException e1 = assertThrows(ExecutionException.class, () -> offset.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ProtocolException.class, e1.getCause());
            ExecutionException e2 = assertThrows(ExecutionException.class, () -> deep.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ProtocolException.class, e2.getCause());
            assertEquals("behind", behind.get(10, TimeUnit.SECONDS));
            assertEquals(pid, fleet.call("fleettest.pid"), "the same worker serves on");
            assertEquals(Map.of("behind", 1L), runs(fleet, dir), "the call behind ran once");
        }
    }

    @Test
    void aScatterWhoseItemKillsItsWorkerRunsEveryOtherItemExactlyOnce() {
        try (EmbeddedNode fleet = TestFleets.start(2)) {
            List<List<?>> items = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                items.add(List.of(dir.toString(), i, 57));
            }
            List<Outcome> outcomes = fleet.scatter("fleettest.mark_or_die", items);
            for (int i = 0; i < 200; i++) {
                if (i == 57) {
                    WorkerLostException lost = assertInstanceOf(WorkerLostException.class, outcomes.get(i).error());
                    assertTrue(lost.mayHaveRun());
                } else {
                    assertEquals((long) i, outcomes.get(i).value(), "item " + i + ": " + outcomes.get(i));
                }
            }
            Map<String, Long> runs = runs(fleet, dir);
            assertEquals(200, runs.size());
            runs.forEach((key, n) -> assertEquals(1L, n, "item " + key + " ran " + n + " times"));
        }
    }

    @Test
    void aScatterChunkCutByTheJobTimeoutRunsNothingTwice() {
        try (EmbeddedNode fleet = TestFleets.start(2, Map.of("pyfleet.scatter.job-timeout", "3s"))) {
            List<List<?>> items = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                items.add(List.of(dir.toString(), i, 20));
            }
            long start = System.nanoTime();
            List<Outcome> outcomes = fleet.scatter("fleettest.mark_or_hang", items);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 6_000, "the 3 s job ended after " + millis + " ms");
            assertInstanceOf(CallTimeoutException.class, outcomes.get(20).error());
            long ok = outcomes.stream().filter(Outcome::isOk).count();
            assertTrue(ok >= 100, "the other worker's items finished: " + ok);
            Map<String, Long> runs = runs(fleet, dir);
            runs.forEach((key, n) -> assertEquals(1L, n, "item " + key + " ran " + n + " times"));
            for (int i = 0; i < 200; i++) {
                if (outcomes.get(i).isOk()) {
                    assertEquals(1L, runs.get(Integer.toString(i)), "item " + i);
                }
            }
        }
    }

    @Test
    void aTimeoutFailsOnlyTheCallThatOverran() throws Exception {
        // Every timeout kills the worker: let the pool restart it as often as the test needs.
        try (EmbeddedNode fleet = TestFleets.start(1, Map.of("pyfleet.supervision.max-restarts", 10_000,
                "pyfleet.supervision.min-backoff", "1ms", "pyfleet.supervision.max-backoff", "1ms"))) {
            int innocentFailures = 0;
            int movedOn = 0;
            int timeouts = 0;
            for (int i = 0; i < 150; i++) {
                CompletableFuture<Object> edge = fleet.submit(Call.function("fleettest.sleep_then",
                        List.of(0.02, "edge"), Map.of()).with(CallOptions.builder()
                        .timeout(Duration.ofMillis(20)).build()));
                CompletableFuture<Object> innocent = fleet.callAsync("fleettest.mark", dir.toString(), i);
                try {
                    edge.get(10, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    assertInstanceOf(CallTimeoutException.class, e.getCause());
                    timeouts++;
                }
                try {
                    assertEquals((long) i, innocent.get(10, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    // The one honest failure: the edge answered just as the kill landed, and the worker had
                    // already taken this call, so it may have run. Anything else is an innocent call lost.
                    if (e.getCause() instanceof WorkerLostException lost && lost.mayHaveRun()
                            && lost.getMessage().contains("the worker had started this one")) {
                        movedOn++;
                    } else {
                        innocentFailures++;
                    }
                }
            }
            assertEquals(0, innocentFailures, "innocent calls failed (timeouts: " + timeouts
                    + ", started as the edge was killed: " + movedOn + ")");
            assertTrue(movedOn < timeouts, "only a kill that races the edge's own answer reaches the next call");
            assertTrue(timeouts > 0, "the edge overran at least sometimes");
            runs(fleet, dir).forEach((key, n) -> assertEquals(1L, n, "call " + key + " ran " + n + " times"));
        }
    }

    @Test
    void aReleaseQueuedBehindADeadWorkersCallNeverRunsElsewhere() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(2)) {
            // One object on each worker. Ids are random, so a misrouted release could no longer drop the other
            // worker's object; what it would still do is reach that worker, which counts it as a call.
            List<Outcome> made = fleet.identical("fleettest.Owner", "box");
            PyObject first = (PyObject) made.get(0).get();
            PyObject other = (PyObject) made.get(1).get();
            CompletableFuture<Object> busy = fleet.submit(Call.method(first, "read", List.of(), Map.of()));
            busy.get(5, TimeUnit.SECONDS);
            CompletableFuture<Object> sleeping = fleet.submit(Call.function("time.sleep", List.of(30), Map.of()));
            Eventually.await(Duration.ofSeconds(5), () -> fleet.stats().workers().stream()
                    .anyMatch(w -> w.inFlight() > 0), () -> "the sleeper runs");
            String sleeper = fleet.stats().workers().stream().filter(w -> w.inFlight() > 0).findFirst().orElseThrow().id();
            PyObject victim = ApiAccess.handle(first).worker().equals(sleeper) ? first : other;
            PyObject survivor = victim == first ? other : first;
            String survivorWorker = ApiAccess.handle(survivor).worker();

            // The counter sees a release: one on the survivor's own worker counts as one call there.
            PyObject spare = (PyObject) fleet.submit(Call.method(survivor, "read", List.of(), Map.of())
                    .with(CallOptions.builder().asHandle().build())).get(5, TimeUnit.SECONDS); // made on its worker
            assertEquals(survivorWorker, ApiAccess.handle(spare).worker());
            long before = callsOf(fleet, survivorWorker);
            spare.close();
            Eventually.await(Duration.ofSeconds(5), () -> callsOf(fleet, survivorWorker) == before + 1,
                    () -> "a release counts as a call on its worker");

            long quiet = callsOf(fleet, survivorWorker);
            victim.close(); // queued in the sleeper's pipe, behind the sleep
            fleet.killWorker(sleeper);
            assertThrows(ExecutionException.class, () -> sleeping.get(10, TimeUnit.SECONDS));
            assertEquals("box", fleet.method(survivor, "read"), "the other worker's object is still there");
            Thread.sleep(300); // a misrouted release would have arrived by now
            assertEquals(quiet + 1, callsOf(fleet, survivorWorker),
                    "the survivor's worker served the read and nothing else: the victim's release did not go there");
        }
    }

    private static long callsOf(EmbeddedNode fleet, String worker) {
        return fleet.stats().workers().stream().filter(w -> w.id().equals(worker)).findFirst().orElseThrow().calls();
    }
}
