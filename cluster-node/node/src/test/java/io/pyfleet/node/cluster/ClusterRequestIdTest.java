package io.pyfleet.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.gateway.WireClient;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * In a cluster, a node's fan-out requests (identical, scatter, release elsewhere) share the session it opens on
 * another node for a client with that client's forwarded requests, under ids from 2^62 up. A client's request
 * with such an id must not be taken for one of them: its answer would be dropped as a fan-out's (the client
 * waited for the forwarding deadline), and on the other node it would stand in for the fan-out's call, which
 * then escapes the cancel of the session's end. It is refused at once, not run.
 */
class ClusterRequestIdTest {

    @Test
    void aClientRequestIdInTheNodesOwnRangeIsRefusedNotLost() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes()) {
            ClusterNodes.Node n1 = cluster.start("n1", 1);
            ClusterNodes.Node n2 = cluster.start("n2", 1);
            n1.awaitUp(2, Duration.ofSeconds(60));
            try (WireClient a = new WireClient(new InetSocketAddress("127.0.0.1", n1.port()))) {
                assertEquals(Gateway.WELCOME, a.handshake(ClusterNodes.TOKEN).type());
                Eventually.await(Duration.ofSeconds(40), () -> {
                    try {
                        a.request(1, "cluster_status", null, List.of());
                        List<?> nodes = (List<?>) a.read().body();
                        return nodes.stream().filter(n -> Boolean.TRUE.equals(((Map<?, ?>) n).get("reachable")))
                                .count() == 2;
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, () -> "n1 sees n2");
                long id = (1L << 62) + 1; // the first id n1's fan-out takes in the session
                long t0 = System.nanoTime();
                a.request(id, "builtin", "abs", List.of(-3L), Map.of("node", "n2"));
                Incoming answer = a.read();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(id, answer.id());
                assertEquals(Messages.ERROR, answer.type(), () -> "refused, not run: " + answer.body());
                RemoteError e = (RemoteError) answer.body();
                assertEquals(RemoteError.PROTOCOL, e.kind());
                assertTrue(e.message().contains("2^62") && e.message().contains("not run"), e.message());
                assertTrue(ms < 5_000, "answered at once, not at a deadline: " + ms + " ms");
                a.request(2, "builtin", "abs", List.of(-3L), Map.of("node", "n2"));
                Incoming ok = a.read();
                assertEquals(2L, ok.id());
                assertEquals(3L, ok.body(), "the connection serves on");
            }
        }
    }
}
