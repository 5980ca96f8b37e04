package io.pyfleet.node.arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.CallOptions;
import io.pyfleet.client.DType;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Arrays in node memory between Java and real CPython workers: exact bytes both ways, and crash survival. */
class ArraysTest {
    private static EmbeddedNode fleet;

    @BeforeAll
    static void start() {
        fleet = TestFleets.start(2);
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    private static byte[] randomBytes(DType t, int n, long seed) {
        byte[] b = new byte[n * t.itemSize()];
        new Random(seed).nextBytes(b);
        if (t == DType.BOOL) {
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) (b[i] & 1);
            }
        }
        if (t == DType.FLOAT32 || t == DType.FLOAT64 || t == DType.COMPLEX128) {
            // finite values only: NaN payloads may be canonicalised by a copy
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < b.length; i += t == DType.FLOAT32 ? 4 : 8) {
                if (t == DType.FLOAT32) {
                    bb.putFloat(i, (float) (i * 0.37 - 11));
                } else {
                    bb.putDouble(i, i * 1.0e-3 - 7.25);
                }
            }
        }
        return b;
    }

    @Test
    void everyDtypeRoundTripsWithExactBytes() {
        for (DType t : DType.values()) {
            long[] shape = {3, 5};
            byte[] data = randomBytes(t, 15, t.ordinal());
            try (PyArray x = fleet.array(t, ByteBuffer.wrap(data), shape)) {
                List<?> seen = (List<?>) fleet.call("arraytest.describe", x);
                assertEquals(t.descr(), seen.get(0), "dtype in the worker");
                assertEquals(List.of(3L, 5L), seen.get(1));
                assertArrayEquals(data, (byte[]) seen.get(2), "bytes the worker sees for " + t);
                assertEquals(false, seen.get(3), "node arrays are read-only in workers");
                try (PyArray back = fleet.callArray("arraytest.copy", x)) {
                    assertEquals(t, back.dtype());
                    assertArrayEquals(shape, back.shape());
                    assertArrayEquals(data, back.toBytes(), "bytes back from the worker for " + t);
                    assertEquals(NdArray.of(t, ByteBuffer.wrap(data), shape), back.toNdArray());
                }
            }
        }
    }

    @Test
    void javaArraysGoInAndComeOutTheSame() {
        double[] d = {1.5, -2.25, 1e300, 0.0};
        float[] f = {1.5f, -3f};
        long[] l = {Long.MIN_VALUE, 7};
        int[] i = {Integer.MAX_VALUE, -1, 3};
        short[] s = {Short.MIN_VALUE, 9};
        byte[] b = {-128, 0, 127, 5};
        boolean[] z = {true, false, true};
        try (PyArray pd = fleet.array(d, 2, 2); PyArray pf = fleet.array(f); PyArray pl = fleet.array(l);
                PyArray pi = fleet.array(i); PyArray ps = fleet.array(s); PyArray pb = fleet.array(b);
                PyArray pz = fleet.array(z)) {
            assertArrayEquals(new long[] {2, 2}, pd.shape());
            assertArrayEquals(d, pd.toDoubles());
            assertEquals(d[2], pd.doubleBuffer().get(2));
            assertArrayEquals(f, pf.toFloats());
            assertArrayEquals(l, pl.toLongs());
            assertArrayEquals(i, pi.toInts());
            assertArrayEquals(s, ps.toShorts());
            assertArrayEquals(b, pb.toBytes());
            assertArrayEquals(z, pz.toBooleans());
            try (PyArray back = fleet.callArray("arraytest.copy", pd)) {
                assertArrayEquals(d, back.toDoubles());
            }
            assertEquals(List.of("<i2", List.of(2L)), ((List<?>) fleet.call("arraytest.describe", ps)).subList(0, 2));
            assertEquals(List.of("|b1", List.of(3L)), ((List<?>) fleet.call("arraytest.describe", pz)).subList(0, 2));
        }
        assertThrows(IllegalArgumentException.class, () -> fleet.array(new double[3], 2, 2));
    }

    @Test
    void shortsBytesAndBuffersAlsoGoByValue() {
        short[] s = {Short.MIN_VALUE, -1, 0, Short.MAX_VALUE};
        List<?> seen = (List<?>) fleet.call("arraytest.describe", (Object) s);
        assertEquals(List.of("<i2", List.of(4L)), seen.subList(0, 2), "a short[] goes as an int16 array");
        NdArray back = (NdArray) fleet.call("arraytest.copy", NdArray.ofShorts(s, 2, 2));
        assertArrayEquals(new long[] {2, 2}, back.shape());
        assertArrayEquals(s, back.toShorts());
        byte[] b = {-128, 1, 127};
        assertArrayEquals(b, ((NdArray) fleet.call("arraytest.copy", NdArray.ofBytes(b))).toBytes());
        assertEquals("|i1", ((List<?>) fleet.call("arraytest.describe", NdArray.ofBytes(b))).get(0));
        ByteBuffer u16 = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 65535).putShort((short) 1)
                .putShort((short) 2).flip();
        NdArray u = NdArray.of(DType.UINT16, u16, 3);
        assertEquals(List.of(65535L, 1L, 2L), fleet.call("builtins.list", (Object) fleet.call("arraytest.copy", u)));
        assertThrows(ArithmeticException.class, u::toShorts, "65535 is no short: values convert exactly");
        assertArrayEquals(new int[] {65535, 1, 2}, u.toInts());
        assertThrows(IllegalStateException.class, () -> NdArray.ofDoubles(new double[1]).toShorts());
    }

    @Test
    void oddShapesComeBackContiguousAndLittleEndian() {
        try (PyArray zeroD = fleet.callArray("arraytest.scalar")) {
            assertEquals(0, zeroD.ndim());
            assertArrayEquals(new double[] {2.5}, zeroD.toDoubles());
        }
        try (PyArray empty = fleet.callArray("arraytest.empty")) {
            assertArrayEquals(new long[] {0, 3}, empty.shape());
            assertEquals(DType.INT16, empty.dtype());
            assertEquals(0, empty.buffer().remaining());
            assertEquals(List.of("<i2", List.of(0L, 3L)), ((List<?>) fleet.call("arraytest.describe", empty)).subList(0, 2));
        }
        try (PyArray view = fleet.callArray("arraytest.strided", 3)) {
            assertArrayEquals(new long[] {3, 2}, view.shape());
            assertArrayEquals(new double[] {0, 2, 4, 6, 8, 10}, view.toDoubles());
        }
        try (PyArray be = fleet.callArray("arraytest.big_endian", 4)) {
            assertEquals(DType.INT32, be.dtype());
            assertArrayEquals(new int[] {-3, -2, -1, 0}, be.toInts());
            byte[] le = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(-3).putInt(-2).putInt(-1)
                    .putInt(0).array();
            assertArrayEquals(le, be.toBytes());
        }
        try (PyArray zeroDIn = fleet.array(DType.FLOAT64, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(0, 4.0))) {
            assertEquals(List.of("<f8", List.of()), ((List<?>) fleet.call("arraytest.describe", zeroDIn)).subList(0, 2));
        }
    }

    @Test
    void smallArraysTravelByValueLargeOnesAsHandles() {
        Object small = fleet.call("numpy.ones", 1000);
        assertInstanceOf(NdArray.class, small, "8 kB is under pyfleet.arrays.by-value-max");
        Object large = fleet.call("numpy.ones", 1 << 18);
        assertInstanceOf(PyArray.class, large, "2 MiB is over pyfleet.arrays.by-value-max");
        try (PyArray a = (PyArray) large) {
            assertEquals(1 << 18, a.size());
            assertEquals(fleet.settings().handleNode(), a.owner());
            assertEquals((double) (1 << 18), fleet.call("numpy.sum", a));
        }
        assertThrows(IllegalStateException.class, ((PyArray) large)::toDoubles, "a closed array cannot be read");
    }

    @Test
    void anArrayOutlivesTheKilledWorkerThatMadeItAndAnotherWorkerReadsIt() throws Exception {
        int n = 4 << 20; // 32 MiB
        PyTuple made = (PyTuple) fleet.call("arraytest.made_with_pid", n, 1.25);
        long maker = (Long) made.get(0);
        try (PyArray x = (PyArray) made.get(1)) {
            new ProcessBuilder("kill", "-9", Long.toString(maker)).start().waitFor();
            Eventually.await(Duration.ofSeconds(10), () -> ProcessHandle.of(maker).map(p -> !p.isAlive()).orElse(true),
                    () -> "worker " + maker + " still alive");
            double[] values = x.toDoubles();
            assertEquals(n, values.length);
            assertEquals(1.25, values[0]);
            assertEquals(1.25, values[n - 1]);
            PyTuple summed = null;
            for (int i = 0; i < 50 && summed == null; i++) {
                try {
                    summed = (PyTuple) fleet.call("arraytest.sum_with_pid", x);
                } catch (io.pyfleet.client.WorkerLostException e) {
                    Thread.sleep(100); // the call raced the kill: try again
                }
            }
            assertTrue(summed != null);
            assertNotEquals(maker, summed.get(0), "another worker");
            assertEquals(1.25 * n, (Double) summed.get(1));
        }
    }

    @Test
    void handingBackTheSameArrayDoesNotCopyAndAViewIsConstantTime() {
        try (PyArray x = fleet.callArray("arraytest.full", 1 << 20, 3.0)) {
            long t0 = System.nanoTime();
            ByteBuffer view = x.buffer();
            long viewNanos = System.nanoTime() - t0;
            assertEquals(8 << 20, view.remaining());
            assertTrue(view.isReadOnly());
            assertTrue(viewNanos < 5_000_000, "a view takes " + viewNanos + " ns");
            try (PyArray again = fleet.callArray("arraytest.same", x)) {
                assertArrayEquals(x.toBytes(), again.toBytes());
            }
        }
    }

    @Test
    void theSameMemoryHandedOverTwiceStaysUsableWhenOneHandleCloses() {
        fleet.call("arraytest.held", 1 << 18); // made once in each worker that is asked
        for (int i = 0; i < 6; i++) {
            PyArray first = fleet.callArray("arraytest.held", 1 << 18);
            PyArray second = fleet.callArray("arraytest.held", 1 << 18);
            ApiAccess.memory(first).source();
            ApiAccess.memory(second).source();
            first.close();
            try (second) {
                assertEquals((double) (1 << 18), second.toDoubles()[5]);
                assertEquals((double) (1 << 18) * (1 << 18), fleet.call("numpy.sum", second));
            }
        }
    }

    @Test
    void anArrayOverTwoGibibytesIsReadInSeveralMappings() {
        long n = (5L << 30) / 2; // 2.5 GiB of bytes
        PyArray big = fleet.arrays().create(DType.UINT8, new long[] {n}, maps -> {
            long at = 0;
            for (var m : maps) {
                m.put(0, (byte) 7);
                m.put(m.capacity() - 1, (byte) 9);
                at += m.capacity();
            }
            assertEquals(n, at);
        });
        try (big) {
            assertEquals(3, big.buffers().size());
            assertThrows(IllegalStateException.class, big::buffer, "one ByteBuffer cannot hold it");
            assertThrows(IllegalStateException.class, big::toBytes);
            List<?> seen = (List<?>) fleet.call("arraytest.probe", big, List.of(0L, (1L << 30) - 1, 1L << 30, n - 1));
            assertEquals(List.of(n, 7L, 9L, 7L, 9L), seen);
        }
    }

    @Test
    void aClosedArrayCannotBeSent() {
        PyArray x = fleet.array(new double[] {1, 2});
        x.close();
        assertFalse(!x.isClosed());
        assertThrows(RuntimeException.class, () -> fleet.call("arraytest.describe", x));
    }

    /** A worker handing an argument back as it is must not make the node take its own memory for a new array. */
    @Test
    void aResultThatIsItsArgumentIsItsOwnMemoryNotTheArgumentsReused() {
        double[] ones = new double[200_000];
        java.util.Arrays.fill(ones, 1.0);
        double[] twos = new double[200_000];
        java.util.Arrays.fill(twos, 2.0);
        PyArray x = fleet.array(ones);
        try (PyArray same = fleet.callArray("arraytest.same", x)) {
            x.close();
            try (PyArray other = fleet.array(twos)) { // the size x had: pooled memory would be reused here
                assertEquals(2.0, other.toDoubles()[0]);
                assertEquals(1.0, same.toDoubles()[0], "the worker's result keeps its own bytes");
                assertEquals(1.0, same.toDoubles()[199_999]);
            }
        }
    }

    /** An argument array lives until its call ends: closing it (or dropping it) while the call waits changes nothing. */
    @Test
    void anArgumentArrayClosedWhileItsCallWaitsIsStillTheOneTheCallReads() throws Exception {
        double[] ones = new double[200_000];
        java.util.Arrays.fill(ones, 1.0);
        double[] twos = new double[200_000];
        java.util.Arrays.fill(twos, 2.0);
        List<CompletableFuture<Object>> busy = List.of(fleet.callAsync("fleettest.sleep", 0.6),
                fleet.callAsync("fleettest.sleep", 0.6));
        PyArray q = fleet.array(ones);
        CompletableFuture<Object> sum = fleet.callAsync("arraytest.sum_with_pid", q);
        CompletableFuture<Object> temporary = fleet.callAsync("arraytest.sum_with_pid", fleet.array(ones));
        q.close();
        System.gc(); // the temporary is unreachable to this test now
        try (PyArray other = fleet.array(twos)) {
            assertEquals(2.0, other.toDoubles()[0]);
            assertEquals(200_000.0, ((Number) ((PyTuple) sum.get(30, TimeUnit.SECONDS)).items().get(1)).doubleValue(),
                    "the queued call read the array it was given");
            assertEquals(200_000.0, ((Number) ((PyTuple) temporary.get(30, TimeUnit.SECONDS)).items().get(1)).doubleValue());
        }
        for (CompletableFuture<Object> b : busy) {
            b.get(30, TimeUnit.SECONDS);
        }
    }

    /** A copy on one thread and a close on another: the copy completes or says the array was closed; never a crash. */
    @Test
    void closingAnArrayWhileAnotherThreadCopiesItIsSafe() throws Exception {
        for (int round = 0; round < 20; round++) {
            PyArray a = fleet.array(new double[4_000_000]);
            CompletableFuture<Object> copy = CompletableFuture.supplyAsync(() -> {
                try {
                    return a.toDoubles().length;
                } catch (IllegalStateException closed) {
                    return "closed";
                }
            });
            a.close();
            Object r = copy.get(30, TimeUnit.SECONDS);
            assertTrue(Integer.valueOf(4_000_000).equals(r) || "closed".equals(r), "round " + round + ": " + r);
        }
    }

    /** An answer nobody waits for any more (the caller cancelled): its arrays are freed at once, not at a GC. */
    @Test
    void theArraysOfAnAnswerNobodyTakesAreFreedAtOnce() throws Exception {
        long before = fleet.arrays().adoptedArrays();
        CompletableFuture<Object> late = fleet.submit(io.pyfleet.client.Call.function("arraytest.full_after",
                List.of(0.3, 1_000_000, 2.0), java.util.Map.of()).with(CallOptions.builder().asArray().build()));
        late.cancel(false); // the caller stops waiting; the worker answers 0.3 s later
        Eventually.await(Duration.ofSeconds(10), () -> fleet.arrays().adoptedArrays() == before
                && fleet.stats().workers().stream().allMatch(w -> w.inFlight() == 0),
                () -> "adopted arrays back to " + before + ": " + fleet.arrays().adoptedArrays());
        Thread.sleep(500); // the answer has come (the worker is idle) and nothing was left held
        assertEquals(before, fleet.arrays().adoptedArrays(), "without a GC");
    }
}
