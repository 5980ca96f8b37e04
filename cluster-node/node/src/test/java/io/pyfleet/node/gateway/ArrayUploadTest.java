package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.CallInterruptedException;
import io.pyfleet.client.ConnectionLostException;
import io.pyfleet.client.DType;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.OverloadedException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.arrays.NodeArrays;
import io.pyfleet.protocol.ArrayUpload;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import io.pyfleet.protocol.RemoteArrayRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The thin client sends arrays to its node's memory in chunks ({@code array_new}, {@code array_write}):
 * {@code Fleet.array(...)} and a call's large Java array arguments. Gateways with small frames show the
 * chunking and that an uploaded array is passed by reference: by value, none of these calls would fit.
 */
class ArrayUploadTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static Fleet connect(NodeServer node) {
        return Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort());
    }

    private static byte[] randomBytes(DType t, int n, long seed) {
        byte[] b = new byte[n * t.itemSize()];
        new Random(seed).nextBytes(b);
        if (t == DType.BOOL) {
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) (b[i] & 1);
            }
        }
        return b;
    }

    @Test
    void everyDtypeArrivesWithExactBytesAndReadsBackWithoutAPull() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.max-frame-size", "8KiB",
                "pyfleet.gateway.array-read-max", "4KiB"));
                Fleet remote = connect(node)) {
            NodeArrays memory = node.fleet().arrays();
            long before = memory.madeArrays();
            for (DType t : DType.values()) {
                long[] shape = {300, 50}; // 15000 elements: 15 to 240 KB, many 8 KiB frames
                byte[] data = randomBytes(t, 15_000, t.ordinal());
                PyArray a = remote.array(t, ByteBuffer.wrap(data), shape);
                assertFalse(a.onHeap(), "in the node's memory");
                assertEquals(node.fleet().settings().handleNode(), a.owner());
                assertEquals(before + 1, memory.madeArrays(), "the node holds it");
                List<?> seen = (List<?>) remote.call("arraytest.digest", a);
                assertEquals(t.descr(), seen.get(0), "dtype in the worker");
                assertEquals(List.of(300L, 50L), seen.get(1));
                assertEquals(sha256(data), seen.get(2), "the bytes the worker maps, for " + t);
                assertArrayEquals(data, a.toBytes(), "the client's own copy, for " + t);
                assertTrue(a.toString().startsWith("PyArray(array("), "its bytes are here: " + a);
                a.close();
                Eventually.await(WAIT, () -> memory.madeArrays() == before, () -> "closing " + t + " freed it");
            }
            try (PyArray small = remote.array(new int[] {1, 2, 3})) {
                assertEquals("PyArray(array([1, 2, 3], dtype=int32), on " + small.owner() + ")", small.toString());
                assertEquals(6L, remote.call("numpy.sum", small));
            }
            try (PyArray empty = remote.array(new double[0]); PyArray scalar = remote.array(DType.INT8,
                    ByteBuffer.wrap(new byte[] {-7}))) {
                assertEquals(0L, remote.call("builtins.len", empty));
                assertEquals(-7L, remote.call("operator.index", scalar));
            }
            assertThrows(IllegalArgumentException.class, () -> remote.array(new double[3], 2, 2));
        }
    }

    @Test
    void anUploadedArrayIsPassedByReferenceAndItsLocalCopyIsRead() throws Exception {
        int n = 1 << 20; // 8 MiB of float64 through a gateway whose frames hold 64 KiB
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.max-frame-size", "64KiB",
                "pyfleet.gateway.array-read-max", "32KiB"));
                Fleet remote = connect(node)) {
            double[] d = new double[n];
            java.util.Arrays.setAll(d, i -> i * 0.5);
            PyArray a = remote.array(d, 1024, 1024);
            assertArrayEquals(new long[] {1024, 1024}, a.shape());
            assertEquals(0.25 * n * (n - 1), remote.call("numpy.sum", a), "the worker maps the node's copy");
            assertEquals(2.5, remote.call("operator.getitem", remote.call("operator.getitem", a, 0), 5), "used again");
            assertArrayEquals(d, a.toDoubles(), "read from the client's copy");
            assertEquals(0.5, a.toDoubles()[1]);
            PyFleetException byValue = assertThrows(PyFleetException.class,
                    () -> remote.call("numpy.sum", NdArray.ofDoubles(new double[10_000])),
                    "an array by value does not fit this gateway's frames: the uploaded one did not go by value");
            assertTrue(byValue.getMessage().contains("frame"), byValue.getMessage());
            a.close();
        }
    }

    @Test
    void largeJavaArrayArgumentsAreUploadedAndFreedAfterTheCall() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.max-frame-size", "64KiB",
                "pyfleet.gateway.array-read-max", "32KiB", "pyfleet.gateway.array-by-value-max", "16KiB"));
                Fleet remote = connect(node)) {
            NodeArrays memory = node.fleet().arrays();
            long before = memory.madeArrays();
            double[] d = new double[100_000]; // 800 KB: twelve frames' worth
            java.util.Arrays.fill(d, 1.5);
            assertEquals(150_000.0, remote.call("numpy.sum", d));
            long[] l = new long[50_000];
            java.util.Arrays.setAll(l, i -> i);
            assertEquals(50_000L * 49_999 / 2, remote.call("numpy.sum", l));
            float[] f = new float[40_000];
            int[] i4 = new int[40_000];
            short[] s = new short[40_000];
            boolean[] z = new boolean[40_000];
            z[7] = true;
            assertEquals(40_000L, remote.call("builtins.len", f));
            assertEquals(40_000L, remote.call("builtins.len", i4));
            assertEquals(40_000L, remote.call("builtins.len", s));
            assertEquals(1L, remote.call("numpy.count_nonzero", z));
            NdArray nd = NdArray.ofDoubles(d, 400, 250);
            assertEquals(List.of(400L, 250L), remote.call("builtins.list", remote.attr(nd, "shape")),
                    "an NdArray too, nested in a call's target");
            PyArray twice = assertInstanceOf(PyArray.class, remote.call("numpy.add", d, d), "the same array twice");
            assertEquals(300_000.0, sumOf(remote, twice));
            Eventually.await(WAIT, () -> memory.madeArrays() == before, () -> "freed after the calls: "
                    + (memory.madeArrays() - before) + " left");
            byte[] bytes = new byte[100_000];
            PyFleetException tooBig = assertThrows(ProtocolException.class, () -> remote.call("builtins.len", bytes),
                    "a byte[] is Python bytes, by value: over the frame");
            assertTrue(tooBig.getMessage().contains("frame"), tooBig.getMessage());
            assertEquals(1000L, remote.call("builtins.len", (Object) new byte[1000]), "bytes stay bytes");
        }
    }

    private static double sumOf(Fleet remote, PyArray p) {
        try (p) {
            return (Double) remote.call("numpy.sum", p);
        }
    }

    @Test
    void uploadsOverTheConnectionsCapAreRefusedNamingTheKey() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.array-upload-max", "1MiB",
                "pyfleet.gateway.array-by-value-max", "64KiB"));
                Fleet remote = connect(node)) {
            NodeArrays memory = node.fleet().arrays();
            long before = memory.madeArrays();
            PyArray first = remote.array(new double[80_000]); // 640 KB of the 1 MiB
            OverloadedException e = assertThrows(OverloadedException.class, () -> remote.array(new double[80_000]));
            assertTrue(e.getMessage().contains("pyfleet.gateway.array-upload-max"), e.getMessage());
            long callsBefore = remote.stats().workers().get(0).calls();
            OverloadedException call = assertThrows(OverloadedException.class,
                    () -> remote.call("numpy.sum", (Object) new double[80_000]), "a large argument is an upload too");
            assertTrue(call.getMessage().contains("pyfleet.gateway.array-upload-max"), call.getMessage());
            assertEquals(callsBefore, remote.stats().workers().get(0).calls(), "the call was not run");
            assertEquals(before + 1, memory.madeArrays(), "nothing of the refused ones is held");
            first.close();
            Eventually.await(WAIT, () -> memory.madeArrays() == before, () -> "the first freed");
            try (PyArray again = remote.array(new double[80_000])) {
                assertEquals(0.0, remote.call("numpy.sum", again), "room again once the first is released");
            }
        }
    }

    @Test
    void aConnectionLostMidUploadFailsItAndTheNodeFreesThePart() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of());
                SlowProxy proxy = new SlowProxy(node.address())) {
            NodeArrays memory = node.fleet().arrays();
            long before = memory.madeArrays();
            Fleet remote = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + proxy.port());
            try {
                CompletableFuture<PyArray> upload = CompletableFuture.supplyAsync(
                        () -> remote.array(new double[4 << 20])); // 32 MiB at a few MB/s
                Eventually.await(WAIT, () -> memory.madeArrays() == before + 1, () -> "the upload began");
                Thread.sleep(200);
                proxy.cut();
                Exception e = assertThrows(Exception.class, () -> upload.get(20, TimeUnit.SECONDS));
                ConnectionLostException lost = assertInstanceOf(ConnectionLostException.class, e.getCause());
                assertFalse(lost.mayHaveRun(), lost.getMessage());
                assertTrue(lost.getMessage().contains("uploaded"), lost.getMessage());
                Eventually.await(WAIT, () -> memory.madeArrays() == before, () -> "the node freed the part it got");
            } finally {
                remote.close();
            }
        }
    }

    @Test
    void aFleetClosedWhileACallsArgumentsUploadFailsTheCallAsNotRun() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of());
                SlowProxy proxy = new SlowProxy(node.address())) {
            NodeArrays memory = node.fleet().arrays();
            long before = memory.madeArrays();
            Fleet remote = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + proxy.port());
            try {
                CompletableFuture<Object> call = CompletableFuture.supplyAsync(
                        () -> remote.call("numpy.sum", (Object) new double[4 << 20])); // 32 MiB at a few MB/s
                Eventually.await(WAIT, () -> memory.madeArrays() == before + 1, () -> "the upload began");
                Thread.sleep(200);
                remote.close();
                Exception e = assertThrows(Exception.class, () -> call.get(20, TimeUnit.SECONDS));
                FleetClosedException closed = assertInstanceOf(FleetClosedException.class, e.getCause());
                assertFalse(closed.mayHaveRun(), "the call itself was never sent: " + closed.getMessage());
                Eventually.await(WAIT, () -> memory.madeArrays() == before, () -> "the node freed the part it got");
            } finally {
                remote.close();
            }
        }
    }

    @Test
    void anInterruptDuringACallsUploadEndsTheWaitAtOnceAndTheCallDoesNotRun() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of());
                SlowProxy proxy = new SlowProxy(node.address())) {
            NodeArrays memory = node.fleet().arrays();
            long before = memory.madeArrays();
            long calls = node.fleet().stats().workers().get(0).calls();
            Fleet remote = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + proxy.port());
            try {
                java.util.concurrent.atomic.AtomicReference<Throwable> failure =
                        new java.util.concurrent.atomic.AtomicReference<>();
                Thread caller = new Thread(() -> {
                    try {
                        remote.call("numpy.sum", (Object) new double[4 << 20]); // 32 MiB at a few MB/s
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                }, "uploading-caller");
                caller.start();
                Eventually.await(WAIT, () -> memory.madeArrays() == before + 1, () -> "the upload began");
                caller.interrupt(); // an executor's shutdownNow, say
                caller.join(5000);
                assertFalse(caller.isAlive(), "the interrupt ended the wait at once, not after the whole upload");
                assertInstanceOf(CallInterruptedException.class, failure.get());
                assertTrue(failure.get().getMessage().contains("nothing was run"), failure.get().getMessage());
                Eventually.await(WAIT, () -> memory.madeArrays() == before, () -> "the node freed the part it got");
                assertEquals(1.0, remote.call("builtins.float", 1), "the fleet serves on");
                assertEquals(calls + 1, node.fleet().stats().workers().get(0).calls(), "the interrupted call never ran");
            } finally {
                remote.close();
            }
        }
    }

    @Test
    void aLargeArgumentAFunctionKeepsStaysAsItWasPassed() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.array-by-value-max", "64KiB"));
                Fleet remote = connect(node)) {
            NodeArrays memory = node.fleet().arrays();
            long before = memory.madeArrays();
            double[] ones = new double[100_000];
            java.util.Arrays.fill(ones, 1.0);
            long at = (Long) remote.call("arraytest.keep", ones); // a model keeping its training data, say
            Eventually.await(WAIT, () -> memory.madeArrays() == before, () -> "the upload released after the call");
            double[] twos = new double[100_000];
            java.util.Arrays.fill(twos, 2.0);
            assertEquals(200_000.0, remote.call("numpy.sum", twos), "a later upload of the same size");
            assertEquals(100_000.0, remote.call("arraytest.kept_sum", at),
                    "a double[] is the function's own, as by value: never memory the node reuses for another array");
        }
    }

    @Test
    void onTheWireWritesGoInOrderAndAnUnfinishedArrayIsNoArgument() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of());
                WireClient c = new WireClient(node.address())) {
            c.handshake(TestNodes.TOKEN);
            c.request(1, ArrayUpload.NEW, null, new ArrayUpload.New(DType.INT32, new long[] {4}).args());
            RemoteArrayRef ref = assertInstanceOf(RemoteArrayRef.class, c.read().body());
            c.request(2, ArrayUpload.WRITE, null, List.of(ref, 0L, new byte[] {1, 0, 0, 0, 2, 0, 0, 0}));
            assertEquals(8L, c.read().body());
            c.request(3, "call", "numpy.sum", List.of(ref));
            assertEquals("protocol", error(c.read(), 3).kind(), "half written: no argument yet");
            c.request(4, ArrayUpload.WRITE, null, List.of(ref, 0L, new byte[8]));
            assertEquals("protocol", error(c.read(), 4).kind(), "writes go in order");
            c.request(5, ArrayUpload.WRITE, null, List.of(ref, 8L, new byte[] {3, 0, 0, 0, 4, 0, 0, 0, 5}));
            assertEquals("protocol", error(c.read(), 5).kind(), "past the end");
            c.request(6, ArrayUpload.WRITE, null, List.of(ref, 8L, new byte[] {3, 0, 0, 0, 4, 0, 0, 0}));
            assertEquals(16L, c.read().body());
            c.request(7, "call", "numpy.sum", List.of(ref));
            assertEquals(10L, c.read().body());
            c.request(8, ArrayUpload.NEW, null, List.of("<f2", List.of(3L)));
            assertEquals("protocol", error(c.read(), 8).kind(), "an unknown dtype");
            c.request(9, "array_release", null, List.of(ref));
            assertEquals(1L, c.read().body());
            c.request(10, ArrayUpload.WRITE, null, List.of(ref, 16L, new byte[0]));
            assertEquals("stale_handle", error(c.read(), 10).kind(), "released");
        }
    }

    @Test
    void theHundredMegabyteArrayOfTheIssueSumsOverTcp() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of()); Fleet remote = connect(node)) {
            NodeArrays memory = node.fleet().arrays();
            long before = memory.madeArrays();
            double[] big = new double[12_500_000]; // 100 MB: over the 64 MiB frame
            java.util.Arrays.fill(big, 0.5);
            assertEquals(6_250_000.0, io.pyfleet.client.NumPy.on(remote).sum(big));
            Eventually.await(WAIT, () -> memory.madeArrays() == before, () -> "the upload freed after the call");
        }
    }

    private static String sha256(byte[] data) throws java.security.NoSuchAlgorithmException {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static RemoteError error(Incoming m, long id) {
        assertEquals(Messages.ERROR, m.type(), "an error: " + m.body());
        assertEquals(id, m.id());
        return (RemoteError) m.body();
    }

    /** A TCP relay to the gateway that passes the client's bytes slowly, and can be cut like a failed link. */
    private static final class SlowProxy implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0);
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

        SlowProxy(InetSocketAddress target) throws IOException {
            Thread accept = new Thread(() -> {
                try {
                    Socket client = server.accept();
                    Socket gateway = new Socket(target.getAddress(), target.getPort());
                    sockets.add(client);
                    sockets.add(gateway);
                    pump(client.getInputStream(), gateway.getOutputStream(), true);
                    pump(gateway.getInputStream(), client.getOutputStream(), false);
                } catch (IOException e) {
                    // cut
                }
            }, "slow-proxy-accept");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private static void pump(InputStream in, OutputStream out, boolean slow) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[16 * 1024];
                try {
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        out.write(buffer, 0, n);
                        out.flush();
                        if (slow) {
                            Thread.sleep(5); // about 3 MB/s
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    // cut
                }
                try {
                    out.close(); // one side's end ends the other, as a direct connection would
                } catch (IOException e) {
                    // closed already
                }
            }, "slow-proxy-pump");
            t.setDaemon(true);
            t.start();
        }

        /** Closes both sides at once, as a broken link would end them. */
        void cut() {
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing is all we want
                }
            }
        }

        @Override
        public void close() throws IOException {
            cut();
            server.close();
        }
    }
}
