package io.pyfleet.node.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallInterruptedException;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.Fleet;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** User code attached to calls never runs on a thread the node needs. */
class CallbacksTest {

    @Test
    void aContinuationThatMakesASynchronousCallReturns() {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            Object result = assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                    fleet.callAsync("operator.add", 1, 2)
                            .thenApply(three -> fleet.call("operator.mul", three, 14))
                            .thenCompose(v -> fleet.callAsync("operator.add", v, 0))
                            .get(15, TimeUnit.SECONDS));
            assertEquals(42L, result);
            assertEquals(0, fleet.stats().workers().get(0).restarts(), "no timeout kill happened");
        }
    }

    @Test
    void continuationsRunOnTheCallbackThreadsNeverOnAReader() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            AtomicReference<String> where = new AtomicReference<>();
            fleet.callAsync("fleettest.sleep_then", 0.05, 1)
                    .whenComplete((v, e) -> where.set(Thread.currentThread().getName()))
                    .get(10, TimeUnit.SECONDS);
            assertTrue(where.get().startsWith("pyfleet-callback"), where.get());
        }
    }

    @Test
    void aThrowingEventConsumerHurtsNoOne() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            CallOptions throwing = CallOptions.builder().onEvent(e -> {
                throw new IllegalStateException("consumer bug");
            }).build();
            Object done = fleet.submit(Call.function("fleettest.progress", List.of(5), Map.of()).with(throwing))
                    .get(10, TimeUnit.SECONDS);
            assertEquals("done", done);
            List<Object> events = new CopyOnWriteArrayList<>();
            fleet.submit(Call.function("fleettest.progress", List.of(3), Map.of())
                    .with(CallOptions.builder().onEvent(events::add).build())).get(10, TimeUnit.SECONDS);
            assertEquals(3, events.size(), "the next call's events arrive, in full: " + events);
            assertEquals(0, fleet.stats().workers().get(0).restarts());
        }
    }

    @Test
    void aSlowEventConsumerNeitherStretchesATimeoutNorDelaysOtherCalls() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(2)) {
            CallOptions slow = CallOptions.builder().timeout(Duration.ofSeconds(1)).onEvent(e -> {
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }).build();
            long start = System.nanoTime();
            CompletableFuture<Object> slowCall = fleet.submit(Call.function("fleettest.emit_then_sleep",
                    List.of(20, 60), Map.of()).with(slow));
            // Meanwhile another caller's continuation runs at once.
            Object other = fleet.callAsync("operator.add", 40, 2).thenApply(v -> v).get(5, TimeUnit.SECONDS);
            assertEquals(42L, other);
            ExecutionException e = assertThrows(ExecutionException.class, () -> slowCall.get(10, TimeUnit.SECONDS));
            assertInstanceOf(CallTimeoutException.class, e.getCause());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 3_000, "the 1 s timeout took " + millis + " ms");
        }
    }

    @Test
    void asyncChainsOfOneMebibytePayloadsDoNotDeadlock() {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            byte[] payload = new byte[1 << 20];
            payload[12345] = 7;
            CompletableFuture<Object> chain = fleet.callAsync("builtins.bytes", payload);
            for (int i = 0; i < 16; i++) {
                chain = chain.thenCompose(v -> fleet.callAsync("builtins.bytes", v));
            }
            // Many chains at once fill the worker's pipes both ways.
            List<CompletableFuture<Object>> more = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                more.add(fleet.callAsync("builtins.bytes", payload)
                        .thenCompose(v -> fleet.callAsync("builtins.bytes", v)));
            }
            CompletableFuture<Object> last = chain;
            byte[] back = (byte[]) assertTimeoutPreemptively(Duration.ofSeconds(60), () -> last.get());
            assertEquals(7, back[12345]);
            assertEquals(1 << 20, back.length);
            more.forEach(f -> assertEquals(1 << 20, ((byte[]) f.join()).length));
        }
    }

    @Test
    void anInterruptedSynchronousCallerGetsATypedErrorAtOnce() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Boolean> flag = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                try {
                    fleet.call("time.sleep", 30);
                } catch (RuntimeException e) {
                    thrown.set(e);
                    flag.set(Thread.currentThread().isInterrupted());
                }
            });
            caller.start();
            io.pyfleet.node.Eventually.await(Duration.ofSeconds(5),
                    () -> fleet.stats().workers().get(0).inFlight() == 1, () -> "the call reached its worker");
            long start = System.nanoTime();
            caller.interrupt();
            caller.join(2_000);
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1_000, "prompt");
            assertInstanceOf(CallInterruptedException.class, thrown.get());
            assertTrue(flag.get(), "the interrupt flag stays set");
        }
    }

    @Test
    void fleetJoinKeepsTheTypedFailure() {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            assertThrows(io.pyfleet.client.PythonException.class,
                    () -> Fleet.join(fleet.callAsync("fleettest.boom", "x")));
        }
    }
}
