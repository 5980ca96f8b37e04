package io.pyfleet.node.arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Kwargs;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An embedded call's Java array arguments over {@code pyfleet.arrays.by-value-max} go through node
 * memory: copied once, passed by reference, freed when the call ends. The workers' frames here hold
 * 256 KiB, so none of these calls would fit by value.
 */
class LargeArgumentsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static EmbeddedNode fleet;

    @BeforeAll
    static void start() {
        fleet = TestFleets.start(1, Map.of("pyfleet.worker.max-frame-size", "256KiB",
                "pyfleet.arrays.by-value-max", "64KiB"));
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @Test
    void largeArgumentsOfEveryKindGoByReferenceAndAreFreedAfterTheCall() {
        NodeArrays memory = fleet.arrays();
        long before = memory.madeArrays();
        double[] d = new double[100_000];
        Arrays.fill(d, 2.0);
        assertEquals(200_000.0, fleet.call("numpy.sum", d));
        long[] l = new long[50_000];
        Arrays.setAll(l, i -> i);
        assertEquals(50_000L * 49_999 / 2, fleet.call("numpy.sum", l));
        assertEquals(60_000L, fleet.call("builtins.len", new float[60_000]));
        assertEquals(60_000L, fleet.call("builtins.len", new int[60_000]));
        assertEquals(60_000L, fleet.call("builtins.len", new short[60_000]));
        boolean[] z = new boolean[100_000];
        z[99_999] = true;
        assertEquals(1L, fleet.call("numpy.count_nonzero", z));
        assertEquals(200_000.0, fleet.call("numpy.sum", NdArray.ofDoubles(d, 1000, 100)));
        assertEquals(200_000.0, fleet.call("numpy.sum", Kwargs.of("a", d)), "a keyword argument");
        assertEquals(2L, fleet.call("builtins.len", List.of(d, d)), "nested, and the same array twice");
        assertEquals(List.of(1000L, 100L), fleet.call("builtins.list",
                fleet.attr(NdArray.ofDoubles(d, 1000, 100), "shape")), "a call's target");
        Eventually.await(WAIT, () -> memory.madeArrays() == before,
                () -> (memory.madeArrays() - before) + " copies not freed after their calls");
        try (PyArray result = fleet.callArray("numpy.multiply", d, 0.5)) {
            assertEquals(100_000.0, fleet.call("numpy.sum", result), "results stay PyArrays, as before");
        }
    }

    @Test
    void smallArraysStillGoByValueAndBytesStayBytes() {
        NodeArrays memory = fleet.arrays();
        long made = memory.madeArrays();
        assertEquals(6.0, fleet.call("numpy.sum", new double[] {1, 2, 3}));
        assertEquals(made, memory.madeArrays(), "a small array made nothing in node memory");
        assertEquals(1000L, fleet.call("builtins.len", (Object) new byte[1000]));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> fleet.call("builtins.len", (Object) new byte[300_000]), "a byte[] is Python bytes, by value");
        assertTrue(e.getMessage().contains("frame"), e.getMessage());
    }

    private static double[] filled(int n, double value) {
        double[] d = new double[n];
        Arrays.fill(d, value);
        return d;
    }

    @Test
    void aCancelledCallKeepsItsArgumentsUntilItsWorkerIsDoneWithThem() {
        int n = 100_003; // a size of its own: the memory freed here is the next copy's of that size
        fleet.call("arraytest.recorded");
        CompletableFuture<Object> busy = fleet.callAsync("fleettest.sleep", 1.0); // the one worker
        CompletableFuture<Object> cancelled = fleet.callAsync("arraytest.record_sum", filled(n, 1.0));
        PyArray mine = fleet.array(filled(n, 3.0));
        CompletableFuture<Object> cancelledToo = fleet.callAsync("arraytest.record_sum", mine);
        assertTrue(cancelled.cancel(true) && cancelledToo.cancel(true), "both still queued behind the sleep");
        mine.close(); // the caller is done with it: a call that may still read it must keep it
        assertEquals(null, fleet.call("arraytest.record_sum", filled(n, 2.0)), "a copy of the same size");
        try (PyArray other = fleet.array(filled(n, 4.0))) {
            assertEquals(null, fleet.call("arraytest.record_sum", other), "an array of that size");
        }
        assertEquals(1.0, busy.join());
        List<?> seen = (List<?>) fleet.call("arraytest.recorded");
        assertEquals(List.of(1.0 * n, 3.0 * n, 2.0 * n, 4.0 * n), seen,
                "each call saw its own arguments: the cancelled ones ran (cancel does not reach the node) on theirs");
    }

    @Test
    void aLargeArgumentAFunctionKeepsStaysAsItWasPassed() {
        int n = 100_007;
        long at = (Long) fleet.call("arraytest.keep", filled(n, 1.0)); // a model keeping its training data, say
        assertEquals(2.0 * n, fleet.call("numpy.sum", filled(n, 2.0)), "a later copy of the same size");
        assertEquals(1.0 * n, fleet.call("arraytest.kept_sum", at),
                "a double[] is the function's own, as by value: never memory the node reuses for another array");
    }

    @Test
    void aCopyThatCannotBeMadeIsATypedErrorAndHoldsNothing() throws Exception {
        Path dir = Files.createTempDirectory("pyfleet-arrays-");
        try (EmbeddedNode node = TestFleets.start(1, Map.of("pyfleet.arrays.dir", dir.toString(),
                "pyfleet.arrays.by-value-max", "64KiB"))) {
            NodeArrays memory = node.arrays();
            PyArray small = node.array(new double[] {1, 2, 3});
            long before = memory.madeArrays();
            Files.delete(dir); // node memory can no longer be made there
            PyFleetException e = assertThrows(PyFleetException.class,
                    () -> node.call("numpy.add", small, filled(100_000, 1.0)), "not an UncheckedIOException");
            assertTrue(e.getMessage().contains("pyfleet.arrays.dir") && e.getMessage().contains("not run"),
                    e.getMessage());
            small.close();
            Eventually.await(WAIT, () -> memory.madeArrays() == before - 1,
                    () -> "the argument it names is not held by the failed call");
            assertEquals(6.0, node.call("numpy.sum", new double[] {1, 2, 3}), "small arrays still go by value");
        } finally {
            Files.deleteIfExists(dir);
        }
    }
}
