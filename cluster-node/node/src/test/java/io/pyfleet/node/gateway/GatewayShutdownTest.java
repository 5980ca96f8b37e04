package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A node in its own JVM stopped with SIGTERM while a remote client has calls in flight. */
class GatewayShutdownTest {

    record Started(Process process, int port, long[] workers) {
    }

    static Started startNode(String grace) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(io.pyfleet.node.ChildJvm.java("-cp", System.getProperty("java.class.path"),
                "-Dpyfleet.python=" + io.pyfleet.node.TestPython.interpreter(), NodeMain.class.getName(), "2", grace));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        int port = Integer.parseInt(out.readLine().split(" ")[1]);
        long[] workers = Arrays.stream(out.readLine().split(" ")[1].split(",")).mapToLong(Long::parseLong).toArray();
        return new Started(p, port, workers);
    }

    @Test
    void sigtermLetsShortCallsFinishFailsLongOnesAndLeavesNoWorker() throws Exception {
        Started node = startNode("2s");
        try (WireClient c = new WireClient(new InetSocketAddress("127.0.0.1", node.port()))) {
            assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
            c.request(1, "call", "fleettest.sleep_then", List.of(0.5, "short"));
            c.request(2, "call", "fleettest.sleep_then", List.of(30, "long"));
            c.request(3, "call", "fleettest.sleep_then", List.of(30, "queued behind"));
            Thread.sleep(300);
            node.process().destroy(); // SIGTERM
            Thread.sleep(300);
            c.request(4, "builtin", "abs", List.of(-1)); // after the stop began
            Map<Long, Object> outcomes = new HashMap<>();
            while (outcomes.size() < 4) {
                Incoming r = c.read();
                outcomes.put(r.id(), r.type() == Messages.ERROR
                        ? RemoteFailures.toException((RemoteError) r.body()) : r.body());
            }
            assertEquals("short", outcomes.get(1L), "a call that ends within the grace gets its result");
            for (long id : new long[] {2, 3}) {
                assertTrue(outcomes.get(id) instanceof FleetClosedException closed && closed.mayHaveRun(),
                        "a call still running after the grace fails as closed, may have run: " + outcomes.get(id));
            }
            assertTrue(outcomes.get(4L) instanceof FleetClosedException closed && !closed.mayHaveRun(),
                    "a call made while stopping is refused as not run: " + outcomes.get(4L));
            assertTrue(outcomes.values().stream().noneMatch(o -> o instanceof PyFleetException p
                    && !(p instanceof FleetClosedException)));
            assertTrue(c.closedByNode());
        }
        assertTrue(node.process().waitFor(30, TimeUnit.SECONDS), "the node exits");
        for (long pid : node.workers()) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "worker " + pid + " is gone");
        }
    }
}
