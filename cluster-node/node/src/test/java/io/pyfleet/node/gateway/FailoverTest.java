package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.ConnectionLostException;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.node.Eventually;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A client given two nodes, the first of which is killed with {@code kill -9} (its whole JVM)
 * while calls are in flight: those fail at once as connection-lost (they may have run), the
 * next calls go to the second node, objects of the dead node are stale there, and the dead
 * node's workers exit.
 */
class FailoverTest {
    @Test
    void callsInFlightFailAsConnectionLostAndTheNextGoToTheOtherNode() throws Exception {
        GatewayShutdownTest.Started first = GatewayShutdownTest.startNode("1s");
        try (NodeServer second = TestNodes.start(1, Map.of());
                Fleet fleet = Fleet.connect(ClientOptions.builder().token(TestNodes.TOKEN)
                        .address("127.0.0.1:" + first.port(), "127.0.0.1:" + second.address().getPort())
                        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).build())) {
            long firstWorker = (Long) fleet.call("os.getpid");
            assertTrue(java.util.Arrays.stream(first.workers()).anyMatch(p -> p == firstWorker), "served by node 1");
            PyObject onFirst = (PyObject) fleet.init("collections.deque");
            CompletableFuture<Object> running = fleet.callAsync("fleettest.sleep", 30);
            Thread.sleep(300);
            long t0 = System.nanoTime();
            first.process().destroyForcibly(); // SIGKILL: no goodbye from node 1
            ExecutionException failure = assertThrows(ExecutionException.class, () -> running.get(20, TimeUnit.SECONDS));
            ConnectionLostException lost = assertInstanceOf(ConnectionLostException.class, failure.getCause());
            assertTrue(lost.mayHaveRun(), "it had been sent: it may have run");
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "it failed when the connection broke, not later");

            Object served = Eventually.awaitValue(Duration.ofSeconds(10), () -> {
                try {
                    return fleet.call("os.getpid");
                } catch (ConnectionLostException notYet) {
                    return null; // within the reconnect back-off
                }
            }, () -> "a call served by node 2");
            assertEquals(second.fleet().stats().workers().get(0).pid(), served);
            assertThrows(StaleHandleException.class, () -> fleet.builtin("len", onFirst),
                    "node 2 refuses an object of node 1, although both are named the same");
        }
        for (long pid : first.workers()) {
            Eventually.await(Duration.ofSeconds(10), () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true),
                    () -> "worker " + pid + " of the killed node exits");
        }
    }
}
