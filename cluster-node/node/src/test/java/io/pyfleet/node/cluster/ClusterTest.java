package io.pyfleet.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.BindException;
import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NodeLostException;
import io.pyfleet.client.NodeStatus;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolInfo;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PythonException;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.FailureStacks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Nodes in JVMs of their own form a cluster on loopback, and a client connected to the first
 * uses the workers of all: identical calls, a 10,000-item scatter in input order, calls on a
 * named node and on objects another node owns. A node killed with {@code kill -9} during a
 * scatter: the job ends with every item accounted for, the node's objects fail as node-lost,
 * the cluster serves on; a node that joins later gets work.
 */
class ClusterTest {
    /** os, bound on a named node. */
    public interface Pids {
        long getpid();
    }

    /** A function os does not have. */
    public interface Unknown {
        long noSuchFunction();
    }

    @Test
    void threeNodesServeOneClientAndSurviveTheLossOfOne() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes()) {
            ClusterNodes.Node n1 = cluster.start("n1", 2);
            ClusterNodes.Node n2 = cluster.start("n2", 2);
            ClusterNodes.Node n3 = cluster.start("n3", 2);
            n1.awaitUp(3, Duration.ofSeconds(60));
            try (Fleet fleet = Fleet.connect(ClusterNodes.TOKEN, n1.address())) {
                awaitNodes(fleet, 3);
                Set<Long> all = pids(n1, n2, n3);

                List<Outcome> everywhere = fleet.identical("os.getpid");
                assertEquals(6, everywhere.size(), "one outcome per worker of the three nodes: " + everywhere);
                assertEquals(all, everywhere.stream().map(o -> (Long) o.value()).collect(Collectors.toSet()));

                List<List<?>> items = new ArrayList<>();
                for (int i = 0; i < 10_000; i++) {
                    items.add(List.of(i));
                }
                List<Object> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
                List<Outcome> scattered = fleet.scatterAsync("fleettest.tagged", items,
                        CallOptions.builder().onEvent(progress::add).build()).get(120, TimeUnit.SECONDS);
                Eventually.await(Duration.ofSeconds(5), () -> progress.contains(Map.of("done", 10_000L, "total", 10_000L)),
                        () -> "progress events up to 10000 of 10000: " + progress);
                long lastDone = 0;
                for (Object e : progress) {
                    long done = (Long) ((Map<?, ?>) e).get("done");
                    assertTrue(done > lastDone, "progress only grows: " + progress);
                    lastDone = done;
                }
                assertEquals(10_000, scattered.size());
                Set<Long> servedBy = new HashSet<>();
                for (int i = 0; i < scattered.size(); i++) {
                    List<?> v = (List<?>) scattered.get(i).value();
                    assertEquals((long) i, v.get(0), "input order");
                    servedBy.add((Long) v.get(1));
                }
                for (ClusterNodes.Node n : List.of(n1, n2, n3)) {
                    assertTrue(Arrays.stream(n.workers()).anyMatch(servedBy::contains), "node " + n.name() + " served");
                }

                Object onTwo = fleet.submit(Call.function("os.getpid", List.of(), Map.of())
                        .with(CallOptions.builder().on("n2").build())).get(30, TimeUnit.SECONDS);
                assertTrue(contains(n2, (Long) onTwo), "a call on a named node runs there");

                // a binding on a named node looks its module up there, in one round trip through node 1's gateway
                CallOptions onNodeTwo = CallOptions.builder().on("n2").build();
                assertTrue(contains(n2, fleet.bind(Pids.class, "os", onNodeTwo).getpid()), "a bound call runs there");
                BindException unknown = assertThrows(BindException.class,
                        () -> fleet.bind(Unknown.class, "os", onNodeTwo));
                assertEquals("cannot bind Unknown to os: os has no function for Unknown.noSuchFunction() (looked for "
                        + "noSuchFunction, no_such_function)", unknown.getMessage());

                // a failure on another node points at the Python line there and at the caller here
                FailureStacks.Failing failing = fleet.bind(FailureStacks.Failing.class, "fleettest", onNodeTwo);
                StackTraceElement caller = null;
                try {
                    caller = FailureStacks.nextLine();
                    failing.failDeep(7);
                    org.junit.jupiter.api.Assertions.fail("fail_deep returned");
                } catch (PythonException e) {
                    FailureStacks.assertSync(e, 7, caller);
                }
                List<Outcome> failed = fleet.scatter("fleettest.fail_deep", List.of(List.of(8), List.of(9), List.of(10)));
                for (int i = 0; i < failed.size(); i++) {
                    FailureStacks.assertAsync(failed.get(i).error(), 8 + i); // from whichever node ran it
                }

                PyObject onThree = (PyObject) fleet.submit(Call.init("collections.deque", List.of(), Map.of())
                        .with(CallOptions.builder().on("n3").build())).get(30, TimeUnit.SECONDS);
                fleet.method(onThree, "append", 7);
                assertEquals(1L, fleet.builtin("len", onThree), "calls on an object go to the node that owns it");

                // a pool with its own virtual environment started on node 2 from a client of node 1
                java.nio.file.Path venv = java.nio.file.Files.createTempDirectory("pyfleet-cluster-pool").resolve("venv");
                java.nio.file.Path python = io.pyfleet.node.TestVenv.create(venv);
                PoolInfo started = fleet.startPool(PoolSpec.builder("sci", python.toString()).node("n2").build());
                assertEquals("n2", started.node());
                CallOptions inSci = CallOptions.builder().on("n2").pool("sci").build();
                assertEquals(venv.toString(), fleet.submit(Call.constant("sys.prefix", null).with(inSci))
                        .get(30, TimeUnit.SECONDS), "the pool on node 2 runs its own interpreter");
                assertEquals(List.of("default", "sci"), fleet.pools("n2").stream().map(PoolInfo::name).toList());
                Eventually.await(Duration.ofSeconds(10), () -> fleet.nodes().stream()
                        .anyMatch(n -> n.name().equals("n2") && n.pools().contains("sci")), () -> "n2 lists pool sci");
                fleet.stopPool("n2", "sci");
                assertEquals(List.of("default"), fleet.pools("n2").stream().map(PoolInfo::name).toList());

                // kill -9 of node 3 while a scatter runs over all three
                List<List<?>> slow = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    slow.add(List.of(i, 0.02));
                }
                CompletableFuture<List<Outcome>> job = fleet.scatterAsync("fleettest.tagged", slow, CallOptions.DEFAULT);
                Thread.sleep(400);
                long killed = System.nanoTime();
                n3.kill();
                List<Outcome> outcomes = job.get(60, TimeUnit.SECONDS);
                long jobEnded = System.nanoTime();
                assertEquals(300, outcomes.size());
                int lost = 0;
                for (int i = 0; i < outcomes.size(); i++) {
                    Outcome o = outcomes.get(i);
                    if (o.isOk()) {
                        assertEquals((long) i, ((List<?>) o.value()).get(0));
                    } else {
                        NodeLostException e = assertInstanceOf(NodeLostException.class, o.error(), "item " + i);
                        assertTrue(e.mayHaveRun(), "an item in flight on the lost node may have run");
                        lost++;
                    }
                }
                assertTrue(lost > 0 && lost < 300, "the lost node's items in flight are reported, the rest ran: " + lost);
                NodeLostException gone = Eventually.awaitValue(Duration.ofSeconds(30), () -> {
                    try {
                        fleet.builtin("len", onThree);
                        return null;
                    } catch (NodeLostException e) {
                        return e;
                    }
                }, () -> "node 3's object fails as node-lost");
                long handleFailed = System.nanoTime();
                assertFalse(gone.mayHaveRun(), "a call on an object of a lost node is refused unrun: " + gone);
                System.out.printf("cluster: kill -9 -> scatter ended %d ms, object node-lost %d ms%n",
                        (jobEnded - killed) / 1_000_000, (handleFailed - killed) / 1_000_000);
                awaitNodes(fleet, 2);
                assertEquals(4, fleet.identical("os.getpid").size(), "the cluster serves on with its two nodes");

                ClusterNodes.Node n4 = cluster.start("n4", 2);
                awaitNodes(fleet, 3);
                Set<Long> later = new HashSet<>();
                for (Outcome o : fleet.scatter("fleettest.tagged", items.subList(0, 2000))) {
                    later.add((Long) ((List<?>) o.value()).get(1));
                }
                assertTrue(Arrays.stream(n4.workers()).anyMatch(later::contains), "a node that joined gets work");

                // an idempotent scatter re-runs the lost node's items in flight elsewhere: every item succeeds
                CompletableFuture<List<Outcome>> again = fleet.scatterAsync("fleettest.tagged", slow,
                        CallOptions.builder().idempotent().build());
                Thread.sleep(400);
                n4.kill();
                List<Outcome> rerun = again.get(60, TimeUnit.SECONDS);
                for (int i = 0; i < rerun.size(); i++) {
                    assertTrue(rerun.get(i).isOk(), "item " + i + ": " + rerun.get(i));
                    assertEquals((long) i, ((List<?>) rerun.get(i).value()).get(0));
                }
                awaitNodes(fleet, 2); // node 4 is downed and removed before node 2 leaves: one change at a time

                // what cannot cross between nodes fails at once, saying whether it ran
                CallOptions onTwo2 = CallOptions.builder().on("n2").build();
                java.util.concurrent.ExecutionException big = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> fleet.submit(Call.function("fleettest.echo", List.of(new byte[5_000_000]), Map.of())
                                .with(onTwo2)).get(30, TimeUnit.SECONDS));
                assertTrue(big.getCause() instanceof io.pyfleet.client.ProtocolException
                        && big.getCause().getMessage().contains("not run"), "too big a request: " + big.getCause());
                java.util.concurrent.ExecutionException bigAnswer = assertThrows(
                        java.util.concurrent.ExecutionException.class, () -> fleet.submit(Call.function("os.urandom",
                                List.of(5_000_000), Map.of()).with(onTwo2)).get(30, TimeUnit.SECONDS));
                assertTrue(bigAnswer.getCause().getMessage().contains("the call ran"),
                        "too big an answer: " + bigAnswer.getCause());

                // SIGTERM of node 2: the call it serves for node 1's client ends within its grace; then it leaves
                CompletableFuture<Object> draining = fleet.submit(Call.function("fleettest.sleep", List.of(0.5),
                        Map.of()).with(onTwo2));
                Thread.sleep(150);
                n2.process().destroy();
                assertEquals(0.5, draining.get(30, TimeUnit.SECONDS), "a call in flight ends within the grace");
                assertTrue(n2.process().waitFor(30, TimeUnit.SECONDS) && n2.process().exitValue() == 0,
                        "node 2 stops cleanly");
                awaitNodes(fleet, 1);
                assertEquals(2, fleet.identical("os.getpid").size(), "node 1 serves on alone");
            }
        }
    }

    @Test
    void aNodeWithoutTheClusterSecretCannotJoin() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes()) {
            ClusterNodes.Node n1 = cluster.start("n1", 1);
            n1.awaitUp(1, Duration.ofSeconds(60));
            ClusterNodes.Node intruder = cluster.start("intruder", 1, "some-other-token-0123456789abcdef");
            try (Fleet fleet = Fleet.connect(ClusterNodes.TOKEN, n1.address())) {
                boolean exited = intruder.process().waitFor(20, TimeUnit.SECONDS);
                List<NodeStatus> nodes = fleet.nodes();
                assertEquals(List.of("n1"), nodes.stream().map(NodeStatus::name).toList(), "the intruder is no member");
                assertTrue(exited || !intruder.lines().contains("cluster members up: 2"),
                        "the intruder never saw itself in the cluster");
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> fleet.submit(Call.function("os.getpid", List.of(), Map.of())
                                .with(CallOptions.builder().on("intruder").build())).get(10, TimeUnit.SECONDS));
                NodeLostException refused = assertInstanceOf(NodeLostException.class, e.getCause());
                assertFalse(refused.mayHaveRun(), "a call on a node that is no member is refused unrun");
            }
        }
    }

    private static void awaitNodes(Fleet fleet, int n) {
        Eventually.await(Duration.ofSeconds(40), () -> {
            List<NodeStatus> nodes = fleet.nodes();
            return nodes.size() == n && nodes.stream().allMatch(NodeStatus::reachable);
        }, () -> n + " nodes, all reachable, in " + fleet.nodes());
    }

    private static Set<Long> pids(ClusterNodes.Node... nodes) {
        Set<Long> all = new HashSet<>();
        for (ClusterNodes.Node n : nodes) {
            Arrays.stream(n.workers()).forEach(all::add);
        }
        return all;
    }

    private static boolean contains(ClusterNodes.Node n, long pid) {
        return Arrays.stream(n.workers()).anyMatch(p -> p == pid);
    }
}
