package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A request id is the client's, unique among its calls in flight (spec/PROTOCOL.md). The node keeps a
 * request's bytes, and the means to cancel its call, under that id: a second request with the id of a call
 * still in flight must not be run, or its quick answer would end the accounting of the first, whose call is
 * still queued with its arguments. Reusing ids that way read a connection past max-connection-bytes without
 * bound.
 */
class DuplicateRequestIdTest {

    @Test
    void aRequestReusingTheIdOfACallInFlightIsNotRunAndDoesNotFreeTheFirstOnesBytes() throws Exception {
        // one call in the worker at a time: the others wait in the node queue, where they are counted
        NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.max-connection-bytes", "4MiB",
                "pyfleet.pool.pipeline-depth", 1));
        try (WireClient c = new WireClient(new InetSocketAddress("127.0.0.1", node.address().getPort()))) {
            assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
            c.request(1, "call", "fleettest.sleep", List.of(30)); // the one worker is busy: what follows queues
            byte[] big = new byte[1_000_000];
            int pairs = 12;
            // written on a thread of its own: once the node stops reading, the writes block
            Thread writer = new Thread(() -> {
                try {
                    for (long id = 2; id < 2 + pairs; id++) {
                        c.request(id, "builtin", "len", List.of(big)); // queued, holding its megabyte
                        c.request(id, "release", null, List.of()); // same id, answered at once
                    }
                } catch (java.io.IOException closed) {
                    // the test closed the socket while the node held back its reading
                }
            }, "duplicate-ids");
            writer.setDaemon(true);
            writer.start();
            long deadline = System.nanoTime() + 3_000_000_000L;
            long admitted = 0; // calls in the node queue or in the worker's pipe, the sleep included
            while (System.nanoTime() < deadline) {
                io.pyfleet.client.PoolStats stats = node.fleet().stats();
                admitted = Math.max(admitted, stats.queued()
                        + stats.workers().stream().mapToLong(w -> w.inFlight()).sum());
                Thread.sleep(50);
            }
            assertTrue(admitted >= 2, "the first request of 1 MB was read: " + admitted);
            assertTrue(admitted <= 3, "max-connection-bytes (4 MiB) holds the connection's waiting requests of 1 MB "
                    + "to a few, whatever their ids; " + admitted + " calls were queued or in the worker's pipe");
            // the reused id was refused, not run, and said so on id 0; the first call with that id is still queued
            Incoming refusal = c.read();
            assertEquals(Messages.ERROR, refusal.type());
            assertEquals(0L, refusal.id());
            RemoteError e = (RemoteError) refusal.body();
            assertEquals(RemoteError.PROTOCOL, e.kind());
            assertTrue(e.message().contains("request 2") && e.message().contains("not run"), e.message());
        } finally {
            node.stop();
        }
    }
}
