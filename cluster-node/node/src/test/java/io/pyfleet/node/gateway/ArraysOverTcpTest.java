package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.node.worker.PendingCall;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Over the gateway arrays travel by value; node memory never leaves its host. */
class ArraysOverTcpTest {

    @Test
    void largeArraysComeByValueAndArrayHandlesAreRefused() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of());
                Fleet remote = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort())) {
            Object big = remote.call("numpy.ones", 1 << 18);
            assertEquals(1 << 18, assertInstanceOf(NdArray.class, big).size(), "2 MiB by value over TCP");
            List<Outcome> each = remote.identical("numpy.ones", 1 << 18);
            assertInstanceOf(NdArray.class, each.get(0).value());
            assertInstanceOf(PyArray.class, node.fleet().call("numpy.ones", 1 << 18), "the same call in the node");

            try (PyArray local = node.fleet().array(new double[] {1, 2, 3})) {
                PyFleetException e = assertThrows(PyFleetException.class, () -> remote.call("builtins.len", local));
                assertTrue(e.getMessage().contains("only valid between a node and its own workers"), e.getMessage());
            }
            assertEquals(2L, remote.call("operator.add", 1, 1), "the connection serves on");

            CompletableFuture<Object> asked = new CompletableFuture<>();
            node.fleet().callPath().submitRemote("call", "numpy.ones", List.of(10), null, Map.of("arrays", 0), null,
                    asked, null, PendingCall.Decoding.RAW);
            ExecutionException e = assertThrows(ExecutionException.class, asked::get);
            assertInstanceOf(ProtocolException.class, e.getCause());
        }
    }
}
