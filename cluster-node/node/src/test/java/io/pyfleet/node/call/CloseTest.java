package io.pyfleet.node.call;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Call;
import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.Outcome;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** close() ends every pending call with a typed error at once and leaves nothing behind. */
class CloseTest {

    private static Set<String> pyfleetThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("pyfleet")).collect(Collectors.toSet());
    }

    @Test
    void closeFailsCallsInEveryStateWithinASecondAndRefusesNewOnes() throws Exception {
        EmbeddedNode fleet = TestFleets.start(2, Map.of("pyfleet.pool.pipeline-depth", 4));
        List<Long> pids = fleet.stats().workers().stream().map(w -> w.pid()).toList();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int i = 0; i < 40; i++) { // 8 in pipes, 32 queued
            pending.add(fleet.callAsync("time.sleep", 60));
        }
        pending.add(fleet.scatterAsync("time.sleep", List.of(List.of(60), List.of(60), List.of(60)),
                io.pyfleet.client.CallOptions.DEFAULT));
        pending.add(fleet.identicalAsync(Call.function("time.sleep", List.of(60), Map.of())));
        Eventually.await(Duration.ofSeconds(5), () -> fleet.stats().queued() > 0, () -> "calls queue");
        long start = System.nanoTime();
        Thread closer = new Thread(fleet::close);
        closer.start();
        for (CompletableFuture<?> f : pending) {
            Object outcome;
            try {
                outcome = f.get(1500, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                outcome = e.getCause();
            }
            if (outcome instanceof List<?> outcomes) {
                outcomes.forEach(o -> assertInstanceOf(FleetClosedException.class, ((Outcome) o).error()));
            } else {
                assertInstanceOf(FleetClosedException.class, outcome);
            }
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < 1_500, "all ended after " + millis + " ms");
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> fleet.callAsync("operator.add", 1, 2).get(1, TimeUnit.SECONDS));
        FleetClosedException closed = assertInstanceOf(FleetClosedException.class, refused.getCause());
        assertFalse(closed.mayHaveRun());
        closer.join(20_000);
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "worker " + pid + " stopped");
        }
    }

    @Test
    void closeLeavesNoThreadOrProcessBehind() throws Exception {
        Set<String> before = pyfleetThreads();
        EmbeddedNode fleet = TestFleets.start(2);
        List<Long> pids = fleet.stats().workers().stream().map(w -> w.pid()).toList();
        for (int i = 0; i < 100; i++) {
            fleet.callAsync("operator.add", i, 1).thenApply(v -> v);
        }
        fleet.close();
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "worker " + pid);
        }
        Eventually.await(Duration.ofSeconds(10), () -> pyfleetThreads().stream().allMatch(before::contains),
                () -> "threads left: " + pyfleetThreads() + " (before: " + before + ")");
    }
}
