package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import io.pyfleet.node.Eventually;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many clients, slow clients and dying workers against one real node over loopback: flow
 * control keeps the node's memory bounded, every request ends exactly once.
 */
class GatewayFlowTest {
    private static NodeServer node;

    @BeforeAll
    static void start() {
        node = TestNodes.start(2, Map.of("pyfleet.gateway.max-in-flight", 64, "pyfleet.gateway.max-buffered", "1MiB",
                "pyfleet.gateway.max-connections", 300, "pyfleet.pool.pipeline-depth", 64));
    }

    @AfterAll
    static void stop() {
        node.stop();
    }

    @Test
    void aClientThatNeverReadsDoesNotGrowTheNodesMemory() throws Exception {
        long before = usedHeapAfterGc();
        AtomicLong sent = new AtomicLong();
        WireClient c = new WireClient(node.address());
        assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
        byte[] request = Messages.request(1, "builtin", "bytes", List.of(65_536), null, null); // a 64 KiB answer each
        Thread writer = new Thread(() -> {
            try {
                while (true) {
                    c.send(request);
                    sent.incrementAndGet();
                }
            } catch (IOException e) {
                // closed below
            }
        });
        writer.setDaemon(true);
        writer.start();
        long last = -1;
        while (sent.get() != last) { // until the writer is stuck: TCP pushes back
            last = sent.get();
            Thread.sleep(1500);
        }
        long grown = usedHeapAfterGc() - before;
        long asked = sent.get() * 65_536;
        c.close();
        writer.join(10_000);
        assertTrue(sent.get() > 1000, "the client got far (" + sent.get() + " requests) before TCP pushed back");
        assertTrue(grown < 64L << 20, "the node holds " + (grown >> 20) + " MiB for answers of " + (asked >> 20)
                + " MiB the client never read");
        try (WireClient other = new WireClient(node.address())) {
            assertEquals(Gateway.WELCOME, other.handshake(TestNodes.TOKEN).type());
            other.request(1, "builtin", "abs", List.of(-5));
            assertEquals(5L, other.read().body());
        }
    }

    @Test
    void twoHundredConnectionsWithFiftyCallsInFlightEachAllComplete() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(200);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int k = 0; k < 200; k++) {
                int client = k;
                done.add(pool.submit(() -> {
                    try (WireClient c = new WireClient(node.address())) {
                        if (c.handshake(TestNodes.TOKEN).type() != Gateway.WELCOME) {
                            throw new AssertionError("no welcome");
                        }
                        for (int i = 1; i <= 50; i++) {
                            c.request(i, "builtin", "abs", List.of(-(client * 1000 + i)));
                        }
                        Set<Long> seen = new HashSet<>();
                        for (int i = 1; i <= 50; i++) {
                            Incoming r = c.read();
                            assertEquals(Messages.REPLY, r.type(), () -> "reply " + r);
                            assertEquals((long) client * 1000 + r.id(), r.body());
                            assertTrue(seen.add(r.id()), "one answer per request");
                        }
                        return seen.size();
                    }
                }));
            }
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get(120, TimeUnit.SECONDS);
            }
            assertEquals(10_000, total);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aWorkerKilledWhileRemoteCallsAreInFlightFailsThoseAndTheNextSucceed() throws Exception {
        try (WireClient c = new WireClient(node.address())) {
            assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
            for (int i = 1; i <= 6; i++) {
                c.request(i, "call", "fleettest.sleep", List.of(3));
            }
            long victim = node.fleet().stats().workers().get(0).pid();
            Eventually.await(Duration.ofSeconds(10), () -> node.fleet().callPath().inFlight("w1") > 0,
                    () -> "calls on w1");
            Thread.sleep(300);
            new ProcessBuilder("kill", "-9", Long.toString(victim)).start().waitFor();
            Map<Long, Object> outcomes = new HashMap<>();
            for (int i = 1; i <= 6; i++) {
                Incoming r = c.read();
                outcomes.put(r.id(), r.type() == Messages.ERROR ? RemoteFailures.toException((RemoteError) r.body())
                        : r.body());
            }
            assertEquals(6, outcomes.size(), "every call ended once");
            long lost = outcomes.values().stream().filter(o -> o instanceof io.pyfleet.client.WorkerLostException w
                    && w.mayHaveRun()).count();
            assertTrue(lost >= 1, "the call on the killed worker failed as worker-lost: " + outcomes);
            assertTrue(outcomes.values().stream().allMatch(o -> o instanceof io.pyfleet.client.WorkerLostException
                    || Long.valueOf(3).equals(o)), "the rest ran to their end: " + outcomes);
            Eventually.await(Duration.ofSeconds(20), () -> node.fleet().stats().workers().stream()
                    .allMatch(io.pyfleet.client.PoolStats.WorkerStats::ready), () -> "the pool serves again");
            c.request(100, "builtin", "abs", List.of(-7));
            assertEquals(7L, c.read().body(), "the next call succeeds");
        }
    }

    @Test
    void aClientCannotSendTheWorkersOwnOpsEvenWhenEverythingIsAllowed() throws IOException {
        try (WireClient c = new WireClient(node.address())) {
            assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
            c.request(1, "call", "fleettest.echo", List.of(1, 2), Map.of("ret", "handle")); // [[1, 2], {}], kept
            Object kept = c.read().body();
            assertTrue(kept instanceof io.pyfleet.client.internal.Handle, "a handle: " + kept);
            // a raw release of object ids on every worker, and the scatter chunk ops: refused
            c.request(2, "identical", null, java.util.Arrays.asList("release", null, List.of(1, 2, 3, 4), null, null));
            assertEquals(RemoteError.PROTOCOL, ((RemoteError) c.read().body()).kind());
            c.request(3, "imap", "math.sqrt", List.of(List.of(List.of(4.0))), Map.of("stream", true));
            assertEquals(RemoteError.PROTOCOL, ((RemoteError) c.read().body()).kind());
            c.request(4, "builtin", "len", List.of(kept));
            assertEquals(2L, c.read().body(), "the object was not released behind the client's back");
        }
    }

    @Test
    void connectionsPastTheLimitAreRefusedAndTheirSlotsComeBack() throws Exception {
        try (NodeServer small = TestNodes.start(1, Map.of("pyfleet.gateway.max-connections", 2))) {
            WireClient first = new WireClient(small.address());
            WireClient second = new WireClient(small.address());
            assertEquals(Gateway.WELCOME, first.handshake(TestNodes.TOKEN).type());
            assertEquals(Gateway.WELCOME, second.handshake(TestNodes.TOKEN).type());
            try (WireClient third = new WireClient(small.address())) {
                Incoming refused = third.read();
                assertEquals(Messages.ERROR, refused.type());
                assertEquals("overloaded", ((RemoteError) refused.body()).kind());
                assertTrue(((RemoteError) refused.body()).message().contains("(pyfleet.gateway.max-connections)"),
                        ((RemoteError) refused.body()).message());
                assertTrue(third.closedByNode());
            }
            first.close();
            Eventually.await(Duration.ofSeconds(10), () -> small.connections() < 2, () -> "a slot is free again");
            try (WireClient fourth = new WireClient(small.address())) {
                assertEquals(Gateway.WELCOME, fourth.handshake(TestNodes.TOKEN).type());
            }
            second.close();
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
}
