package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyFleetException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Over the gateway a worker call's large arrays come as remote arrays (RemoteArraysTest), the rest
 * by value; a node's shared memory itself never leaves its host.
 */
class ArraysOverTcpTest {

    @Test
    void largeArraysComeAsRemoteArraysOthersByValueAndArrayHandlesAreRefused() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.array-by-value-max", "4MiB"));
                Fleet remote = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort())) {
            Object big = remote.call("numpy.ones", 1 << 18);
            assertEquals(1 << 18, assertInstanceOf(NdArray.class, big).size(), "2 MiB: under the gateway's threshold");
            PyArray far = assertInstanceOf(PyArray.class, remote.call("numpy.ones", 1 << 20), "8 MiB: kept");
            assertEquals(1 << 20, far.toDoubles().length);
            far.close();
            List<Outcome> each = remote.identical("numpy.ones", 1 << 20); // fan-outs carry values
            assertInstanceOf(NdArray.class, each.get(0).value());
            assertInstanceOf(PyArray.class, node.fleet().call("numpy.ones", 1 << 18), "the same call in the node");

            try (PyArray local = node.fleet().array(new double[] {1, 2, 3})) {
                PyFleetException e = assertThrows(PyFleetException.class, () -> remote.call("builtins.len", local));
                assertTrue(e.getMessage().contains("only valid between a node and its own workers"), e.getMessage());
            }
            assertEquals(2L, remote.call("operator.add", 1, 1), "the connection serves on");
        }
    }
}
