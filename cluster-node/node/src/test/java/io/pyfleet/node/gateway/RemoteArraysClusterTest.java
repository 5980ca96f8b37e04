package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NodeStatus;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.config.ClusterSettings;
import io.pyfleet.node.config.GatewaySettings;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An array made on n2 for a client of n1 stays on n2: the client's reads are forwarded there chunk
 * by chunk (each a message far below the cluster's limit, which the whole array is over), and a
 * call on it runs on n2, where it is. An array the client uploads lives on n1, where a call on it runs;
 * one sent to n2 is refused.
 */
class RemoteArraysClusterTest {
    private static final int N = 2 << 20; // float64: 16 MiB, over max-message-size (4 MiB)
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aClientOfOneNodeReadsAnArrayAnotherNodeKeeps() throws Exception {
        int seed = freePort();
        try (NodeServer n1 = start("n1", seed, seed); NodeServer n2 = start("n2", freePort(), seed);
                Fleet client = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + n1.address().getPort())) {
            Eventually.await(WAIT, () -> client.nodes().stream().filter(NodeStatus::reachable).count() == 2,
                    () -> "both nodes up: " + client.nodes());
            long onN1 = n1.fleet().arrays().adoptedArrays();
            long onN2 = n2.fleet().arrays().adoptedArrays();
            Call made = Call.function("numpy.arange", List.of((double) N), Map.of())
                    .with(CallOptions.builder().on("n2").build());
            PyArray a = assertInstanceOf(PyArray.class, client.submit(made).join());
            assertEquals(n2.fleet().settings().handleNode(), a.owner(), "kept by n2");
            assertEquals(onN2 + 1, n2.fleet().arrays().adoptedArrays());
            assertEquals(onN1, n1.fleet().arrays().adoptedArrays(), "nothing kept on n1");
            double[] d = a.toDoubles();
            for (int i = 0; i < N; i++) {
                if (d[i] != i) {
                    throw new AssertionError("element " + i + " is " + d[i]);
                }
            }
            assertEquals((double) N * (N - 1) / 2, client.call("numpy.sum", a), "a call on it runs on n2");
            a.close();
            Eventually.await(WAIT, () -> n2.fleet().arrays().adoptedArrays() == onN2, () -> "released on n2");
            long madeOnN1 = n1.fleet().arrays().madeArrays();
            PyArray up = client.array(new double[N]); // uploaded: kept by the node the client is connected to
            assertEquals(n1.fleet().settings().handleNode(), up.owner());
            assertEquals(madeOnN1 + 1, n1.fleet().arrays().madeArrays());
            assertEquals(0.0, client.call("numpy.sum", up), "a call on it runs on n1");
            Call elsewhere = Call.function("numpy.sum", List.of(up), Map.of())
                    .with(CallOptions.builder().on("n2").build());
            StaleHandleException refused = assertThrows(StaleHandleException.class,
                    () -> Fleet.join(client.submit(elsewhere)), "n2 does not have it");
            assertTrue(refused.getMessage().contains("lives on the node that keeps it"), refused.getMessage());
            up.close();
            Eventually.await(WAIT, () -> n1.fleet().arrays().madeArrays() == madeOnN1, () -> "the upload freed on n1");
            client.submit(made).join(); // left to the connection's end
            client.close();
            Eventually.await(WAIT, () -> n2.fleet().arrays().adoptedArrays() == onN2,
                    () -> "the client's end freed it on n2");
        }
    }

    @Test
    void aCallSentToAnotherNodeTakesItsLargeArgumentsThere() throws Exception {
        int seed = freePort();
        try (NodeServer n1 = start("n1", seed, seed); NodeServer n2 = start("n2", freePort(), seed);
                Fleet client = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + n1.address().getPort())) {
            Eventually.await(WAIT, () -> client.nodes().stream().filter(NodeStatus::reachable).count() == 2,
                    () -> "both nodes up: " + client.nodes());
            long madeOnN1 = n1.fleet().arrays().madeArrays();
            long madeOnN2 = n2.fleet().arrays().madeArrays();
            double[] big = new double[N]; // over array-by-value-max (1 MiB) and over max-message-size (4 MiB)
            java.util.Arrays.fill(big, 0.5);
            Call onN2 = Call.function("numpy.sum", List.of(big), Map.of()).with(CallOptions.builder().on("n2").build());
            assertEquals(0.5 * N, Fleet.join(client.submit(onN2)), "uploaded to n2, where the call runs");
            Call pid = Call.function("os.getpid", List.of(), Map.of()).with(CallOptions.builder().on("n2").build());
            assertEquals(n2.fleet().stats().workers().get(0).pid(), Fleet.join(client.submit(pid)));
            Eventually.await(WAIT, () -> n2.fleet().arrays().madeArrays() == madeOnN2, () -> "freed on n2 after it");
            assertEquals(madeOnN1, n1.fleet().arrays().madeArrays(), "nothing made on n1");
        }
    }

    private static NodeServer start(String name, int port, int seed) {
        Map<String, Object> o = new HashMap<>();
        o.put("pyfleet.node-name", name);
        o.put("pyfleet.gateway.port", 0);
        o.put("pyfleet.gateway.token", TestNodes.TOKEN);
        o.put("pyfleet.cluster.enabled", true);
        o.put("pyfleet.cluster.port", port);
        o.put("pyfleet.cluster.seeds", List.of("127.0.0.1:" + seed));
        Config config = TestFleets.config(1, o);
        return NodeServer.start(config, GatewaySettings.from(config), ClusterSettings.from(config), line -> { });
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
