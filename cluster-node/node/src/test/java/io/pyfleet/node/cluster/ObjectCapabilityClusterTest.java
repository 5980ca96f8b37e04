package io.pyfleet.node.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.gateway.WireClient;
import io.pyfleet.protocol.Incoming;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Across the cluster an object belongs to the client session that forwarded the call that made
 * it. Two node processes: clients A and B of n1, C of n2. A makes an object on n2 through n1;
 * only A can use it: B (through n1) and C (on n2 itself) get the same {@code stale_handle} as
 * for an object B released, B cannot forge A's next object from its own, and B's release of
 * A's object leaves it to A.
 */
class ObjectCapabilityClusterTest {
    private static final long PROBE = 900;
    private static final Map<String, Object> ON_N2 = Map.of("node", "n2");

    @Test
    void anObjectMadeThroughAForwardedCallIsThatSessionsAlone() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes()) {
            ClusterNodes.Node n1 = cluster.start("n1", 1);
            ClusterNodes.Node n2 = cluster.start("n2", 1);
            n1.awaitUp(2, Duration.ofSeconds(60));
            try (WireClient a = client(n1); WireClient b = client(n1); WireClient c = client(n2)) {
                Eventually.await(Duration.ofSeconds(40), () -> reachable(a) == 2, () -> "n1 sees n2");
                Handle secret = made(a, 2, ON_N2);
                a.request(3, "method", secret, List.of("append", "A's secret"));
                assertEquals(null, WireClient.ok(a.read(), 3), "A's call on it goes to n2, where it lives");

                Handle own = made(b, 2, ON_N2);
                assertEquals(secret.node(), own.node(), "both on n2");
                b.request(3, "release", null, List.of(own));
                assertEquals(1L, WireClient.ok(b.read(), 3));
                byte[] released = b.refused(PROBE, "method", own, List.of("pop"), null);
                assertEquals("stale_handle", ((RemoteError) Incoming.parse(released).body()).kind());

                assertArrayEquals(released, b.refused(PROBE, "method", secret, List.of("pop"), null),
                        "B replays A's handle through n1");
                assertArrayEquals(released, b.refused(PROBE, "method", secret, List.of("pop"), ON_N2),
                        "B replays it in a request for n2");
                assertArrayEquals(released, b.refused(PROBE, "scatter", "builtins.len", List.of(List.of(List.of(secret))),
                        null), "in a scatter item");
                assertArrayEquals(released, c.refused(PROBE, "method", secret, List.of("pop"), null),
                        "C replays it on n2 itself");

                Handle mine = made(b, 4, ON_N2);
                Handle next = made(a, 4, ON_N2);
                assertNotEquals(mine.id() + 1, next.id(), "ids do not count up in n2's worker");
                for (long id : new long[] {mine.id() + 1, next.id()}) {
                    Handle forged = new Handle(mine.node(), mine.worker(), mine.generation(), id, mine.type());
                    assertArrayEquals(released, b.refused(PROBE, "method", forged, List.of("append", 1L), null),
                            "forged from B's own parts: " + id);
                }

                b.request(5, "release", null, List.of(secret, next));
                assertEquals(2L, WireClient.ok(b.read(), 5));
                c.request(5, "release", null, List.of(secret));
                assertEquals(1L, WireClient.ok(c.read(), 5));
                Thread.sleep(300); // a release of another node's object is sent on without waiting for it
                a.request(5, "builtin", "len", List.of(secret));
                assertEquals(1L, WireClient.ok(a.read(), 5), "A's object survives B's and C's releases");
                a.request(6, "scatter", "builtins.len", List.of(List.of(List.of(secret), List.of(next))));
                assertEquals(List.of(List.of(0L, 1L), List.of(0L, 0L)), WireClient.ok(a.read(), 6),
                        "A passes its objects into scatter items; they run on n2");
                a.request(7, "method", secret, List.of("pop"));
                assertEquals("A's secret", WireClient.ok(a.read(), 7));

                b.request(6, "method", mine, List.of("append", 1L));
                assertEquals(null, WireClient.ok(b.read(), 6), "B's own object serves B");
                assertNotEquals(mine, secret);
            }
        }
    }

    private static WireClient client(ClusterNodes.Node n) {
        try {
            WireClient c = new WireClient(new InetSocketAddress("127.0.0.1", n.port()));
            assertEquals(io.pyfleet.protocol.Gateway.WELCOME, c.handshake(ClusterNodes.TOKEN).type());
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long reachable(WireClient c) {
        try {
            c.request(1, "cluster_status", null, List.of());
            List<?> nodes = (List<?>) WireClient.ok(c.read(), 1);
            return nodes.stream().filter(n -> Boolean.TRUE.equals(((Map<?, ?>) n).get("reachable"))).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new {@code collections.deque} for the client, on the node {@code opts} names. */
    private static Handle made(WireClient c, long id, Map<String, Object> opts) throws IOException {
        c.request(id, "init", "collections.deque", List.of(), opts);
        return assertInstanceOf(Handle.class, WireClient.ok(c.read(), id));
    }
}
