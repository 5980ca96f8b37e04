package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.protocol.Gateway;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A client whose connection ends leaves nothing running for it: its worker calls and scatters still running
 * are cancelled (the workers serving them are killed and replaced; issue 21's cancel has not landed), and
 * what was queued is not run. The node serves on with fresh workers.
 */
class CancelOnCloseTest {

    private static Set<Long> pids(NodeServer node) {
        return node.fleet().stats().workers().stream().map(w -> w.pid()).collect(Collectors.toSet());
    }

    private static void awaitReplaced(NodeServer node, Set<Long> before, int replaced) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            Set<Long> now = pids(node);
            long gone = before.stream().filter(p -> !now.contains(p)).count();
            boolean allGone = before.stream().filter(p -> !now.contains(p))
                    .allMatch(p -> !ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false));
            if (gone >= replaced && allGone && now.size() == before.size()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("workers " + before + " still serve: " + pids(node));
    }

    @Test
    void aClosedConnectionsIdenticalCallIsStoppedOnEveryWorker() throws Exception {
        NodeServer node = TestNodes.start(2, Map.of());
        try {
            Set<Long> before = pids(node);
            try (WireClient c = new WireClient(new InetSocketAddress("127.0.0.1", node.address().getPort()))) {
                assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
                c.request(1, "identical", null, java.util.Arrays.asList("call", "fleettest.sleep", List.of(60), null,
                        null), Map.of("each", true));
                Thread.sleep(1000);
            }
            long t0 = System.nanoTime();
            while (before.stream().anyMatch(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false))
                    && System.nanoTime() - t0 < 10_000_000_000L) {
                Thread.sleep(20);
            }
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "the workers that ran for the closed client stopped");
            awaitReplaced(node, before, 2);
            assertEquals(3L, node.fleet().call("builtins.abs", -3), "the node serves on");
        } finally {
            node.stop();
        }
    }

    @Test
    void aClosedConnectionsRunningCallAndScatterAreStoppedAndTheirWorkersReplaced() throws Exception {
        NodeServer node = TestNodes.start(2, Map.of());
        try {
            Set<Long> before = pids(node);
            try (WireClient c = new WireClient(new InetSocketAddress("127.0.0.1", node.address().getPort()))) {
                assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
                c.request(1, "call", "fleettest.sleep", List.of(60));
                c.request(2, "scatter", "fleettest.sleep", List.of(List.of(List.of(60), List.of(60), List.of(60))),
                        Map.of("each", true));
                Thread.sleep(1000); // both workers busy, some items queued
            }
            long t0 = System.nanoTime();
            while (before.stream().anyMatch(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false))
                    && System.nanoTime() - t0 < 10_000_000_000L) {
                Thread.sleep(20);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 10_000, "the workers that ran for the closed client still run after " + ms + " ms");
            awaitReplaced(node, before, 2);
            assertEquals(3L, node.fleet().call("builtins.abs", -3), "the node serves on");
            assertEquals(0, node.fleet().stats().queued(), "nothing of the closed client waits");
        } finally {
            node.stop();
        }
    }
}
