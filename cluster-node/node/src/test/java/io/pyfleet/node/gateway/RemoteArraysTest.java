package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.arrays.NodeArrays;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import io.pyfleet.protocol.RemoteArrayRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Over TCP a large result stays on the node: the client gets a remote array whose bytes it pulls
 * in chunks, and passes back by reference. With the gateway's frames limited to 4 MiB, a 64 MiB
 * array could cross neither way by value: every step below would fail if it did.
 */
class RemoteArraysTest {
    private static final int N = 8 << 20; // float64: 64 MiB
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aLargeResultIsPulledInChunksUsedInPlaceAndFreed() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.max-frame-size", "4MiB"));
                Fleet remote = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort())) {
            NodeArrays memory = node.fleet().arrays();
            long before = memory.adoptedArrays();
            long beforeBytes = memory.adoptedBytes();
            PyArray a = assertInstanceOf(PyArray.class, remote.call("numpy.arange", (double) N));
            assertFalse(a.onHeap(), "a remote array, not bytes by value");
            assertEquals(before + 1, memory.adoptedArrays());
            assertEquals(beforeBytes + 8L * N, memory.adoptedBytes(), "the node keeps the 64 MiB");
            double[] d = a.toDoubles();
            assertEquals(N, d.length);
            for (int i = 0; i < N; i++) {
                if (d[i] != i) {
                    throw new AssertionError("element " + i + " is " + d[i]);
                }
            }
            assertEquals((double) N * (N - 1) / 2, remote.call("numpy.sum", a), "the worker sums the node's copy");
            assertEquals(2.0, remote.call("operator.getitem", a, 2), "used again");

            a.close();
            Eventually.await(WAIT, () -> memory.adoptedArrays() == before, () -> "array_release freed it");
            assertEquals(beforeBytes, memory.adoptedBytes());

            PyArray b = (PyArray) remote.call("numpy.ones", 1 << 18);
            RemoteArrayRef ref = (RemoteArrayRef) ApiAccess.memory(b).reference();
            b.close();
            Eventually.await(WAIT, () -> memory.adoptedArrays() == before, () -> "b freed");
            assertThrows(StaleHandleException.class, () -> remote.call("numpy.sum", ref), "a released array");
            assertInstanceOf(NdArray.class, remote.call("numpy.ones", 100), "small arrays still come by value");

            remote.call("numpy.ones", 1 << 18);
            remote.call("numpy.ones", 1 << 18); // not closed: the connection's end frees them
            assertEquals(before + 2, memory.adoptedArrays());
            remote.close();
            Eventually.await(WAIT, () -> memory.adoptedArrays() == before, () -> "the connection's end freed them");
        }
    }

    @Test
    void anArrayReleasedWhileACallWaitsToUseItIsFreedWhenThatCallEnds() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of());
                Fleet remote = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort())) {
            NodeArrays memory = node.fleet().arrays();
            long before = memory.adoptedArrays();
            PyArray a = (PyArray) remote.call("numpy.ones", 1 << 18);
            // the one worker is busy: the sum waits, and the worker maps the array only when it starts it
            var busy = remote.submit(io.pyfleet.client.Call.function("fleettest.sleep", List.of(1.0), Map.of()));
            var sum = remote.submit(io.pyfleet.client.Call.function("numpy.sum", List.of(a), Map.of()));
            a.close();
            Thread.sleep(300); // the release has reached the node before the worker reads the sum
            assertEquals(before + 1, memory.adoptedArrays(), "still in use: not freed yet");
            assertEquals(1.0, busy.get());
            assertEquals((double) (1 << 18), sum.get(), "the worker mapped the array the client had released");
            Eventually.await(WAIT, () -> memory.adoptedArrays() == before, () -> "freed once the call ended");
        }
    }

    @Test
    void onTheWireReadsAreCappedAndUnknownOrReleasedArraysAreTypedErrors() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.max-frame-size", "4MiB"));
                WireClient c = new WireClient(node.address())) {
            c.handshake(TestNodes.TOKEN);
            c.request(1, "call", "numpy.arange", List.of((double) N));
            RemoteArrayRef ref = assertInstanceOf(RemoteArrayRef.class, c.read().body());
            assertArrayEquals(new long[] {N}, ref.shape());
            c.request(2, "array_read", null, List.of(ref, 8L * N - 16, 1L << 26));
            assertEquals(16, ((byte[]) c.read().body()).length, "the tail");
            c.request(3, "array_read", null, List.of(ref, 8L, 1L << 26));
            byte[] chunk = (byte[]) c.read().body();
            assertEquals(1 << 20, chunk.length, "a read never answers more than array-read-max");
            assertEquals(1.0, java.nio.ByteBuffer.wrap(chunk).order(java.nio.ByteOrder.LITTLE_ENDIAN).getDouble(0));

            RemoteArrayRef unknown = new RemoteArrayRef(ref.dtype(), ref.shape(), ref.node(), ref.id() + 100);
            c.request(4, "array_read", null, List.of(unknown, 0L, 8L));
            assertEquals("stale_handle", error(c.read(), 4).kind());
            c.request(5, "array_release", null, List.of(ref));
            assertEquals(1L, c.read().body());
            c.request(6, "array_read", null, List.of(ref, 0L, 8L));
            assertEquals("stale_handle", error(c.read(), 6).kind(), "a released array");
            c.request(7, "call", "numpy.ones", List.of(4), Map.of("arrays", 0L));
            assertEquals("protocol", error(c.read(), 7).kind(), "opts.arrays is the node's, not a client's");
            c.request(8, "array_read", null, List.of(ref, -1L, 8L));
            assertEquals("protocol", error(c.read(), 8).kind());
        }
    }

    /** Reads pipelined by a client that does not read its answers stop being served at max-buffered. */
    @Test
    void readsOfAClientThatDoesNotReadDoNotGrowTheNodesMemory() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.max-frame-size", "4MiB"));
                WireClient c = new WireClient(node.address())) {
            c.handshake(TestNodes.TOKEN);
            c.request(1, "call", "numpy.arange", List.of((double) N));
            RemoteArrayRef ref = assertInstanceOf(RemoteArrayRef.class, c.read().body());
            long before = usedHeapAfterGc();
            for (long id = 2; id < 502; id++) { // 500 MiB asked for, 30 KB of requests
                c.send(Messages.request(id, "array_read", null, List.of(ref, 0L, 1L << 20), null, null));
            }
            Thread.sleep(2000);
            // served up to max-buffered, then no more reads: never the 4x that closes a client that does not read
            assertEquals(1, node.connections(), "the node stopped taking reads instead of building 500 MiB of answers");
            long grown = usedHeapAfterGc() - before;
            assertTrue(grown < 160L << 20, "the node holds " + (grown >> 20) + " MiB for a client that reads nothing");
        }
    }

    /** A node that answers reads in smaller chunks than the client asks for: the client asks for the rest. */
    @Test
    void aClientPullsFromANodeThatReadsLessAtATime() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.array-read-max", "256KiB"));
                Fleet fleet = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort())) {
            PyArray a = (PyArray) fleet.call("numpy.arange", (double) (1 << 20));
            double[] values = a.toDoubles();
            assertEquals(1 << 20, values.length);
            assertEquals((1 << 20) - 1.0, values[(1 << 20) - 1]);
        }
    }

    /** An array of one connection named on another is stale there, never that connection's array of the same number. */
    @Test
    void anArrayOfAnotherConnectionIsStaleNotAnotherArray() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of());
                Fleet first = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort());
                Fleet second = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort())) {
            PyArray a = (PyArray) first.call("numpy.arange", (double) (1 << 18));
            PyArray b = (PyArray) second.call("numpy.ones", 1 << 18);
            assertEquals(262_144.0, second.call("numpy.sum", b));
            assertThrows(StaleHandleException.class, () -> second.call("numpy.sum", a));
            assertEquals(34_359_607_296.0, first.call("numpy.sum", a));
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static RemoteError error(Incoming m, long id) {
        assertEquals(Messages.ERROR, m.type(), "an error: " + m.body());
        assertEquals(id, m.id());
        assertTrue(m.body() instanceof RemoteError);
        return (RemoteError) m.body();
    }
}
