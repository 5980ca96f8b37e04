package io.pyfleet.node.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.OverloadedException;
import io.pyfleet.client.PoolFailedException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.embedded.EmbeddedNode;
import io.pyfleet.node.gateway.NodeServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eight threads make mixed calls, scatters, calls on their objects and releases while
 * workers are killed at random. Every call ends exactly once, no call is run twice, a
 * call that failed as never run did not run, and the node's threads, processes and heap
 * are back where they started. {@code -Dpyfleet.soak.seconds} sets its length (default 60).
 */
class SoakTest {
    private static final int THREADS = 8;

    @TempDir
    Path dir;

    /** What became of one side-effecting call, by its key. */
    private enum Fate { RAN, NEVER_RAN, MAYBE }

    private static Fate fateOf(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause == null) {
            return Fate.RAN;
        }
        if (cause instanceof WorkerLostException lost && !lost.mayHaveRun()
                || cause instanceof io.pyfleet.client.ConnectionLostException cut && !cut.mayHaveRun()
                || cause instanceof FleetClosedException closed && !closed.mayHaveRun()
                || cause instanceof io.pyfleet.client.NodeLostException gone && !gone.mayHaveRun()
                || cause instanceof OverloadedException || cause instanceof PoolFailedException
                || cause instanceof io.pyfleet.client.StaleHandleException) {
            return Fate.NEVER_RAN;
        }
        return Fate.MAYBE;
    }

    private static Set<String> pyfleetThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("pyfleet")).collect(Collectors.toSet());
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static final Map<String, Object> SOAK_POOL = Map.of("pyfleet.supervision.max-restarts", 100_000,
            "pyfleet.supervision.min-backoff", "5ms", "pyfleet.supervision.max-backoff", "50ms",
            "pyfleet.pool.pipeline-depth", 8);

    @Test
    void mixedLoadWhileWorkersDieEndsEveryCallExactlyOnceAndLeavesNothingBehind() throws Exception {
        Set<String> threadsBefore = pyfleetThreads();
        long heapBefore = usedHeap();
        EmbeddedNode fleet = TestFleets.start(3, SOAK_POOL);
        soak(fleet, List.of(fleet), fleet::close, Long.getLong("pyfleet.soak.seconds", 60), threadsBefore,
                heapBefore);
    }

    /**
     * The same load through the gateway: two thin clients over TCP share the callers, the
     * node's workers are killed under them. {@code -Dpyfleet.soak.remote.seconds} (default 20).
     */
    @Test
    void theSameOverTcpEndsEveryRemoteCallExactlyOnce() throws Exception {
        Set<String> threadsBefore = pyfleetThreads();
        long heapBefore = usedHeap();
        Map<String, Object> settings = new HashMap<>(SOAK_POOL);
        settings.put("pyfleet.gateway.port", 0);
        settings.put("pyfleet.gateway.token", TOKEN);
        com.typesafe.config.Config config = TestFleets.config(3, settings);
        NodeServer node = NodeServer.start(config, GatewaySettings.from(config));
        String at = "127.0.0.1:" + node.address().getPort();
        Fleet first = Fleet.connect(TOKEN, at);
        Fleet second = Fleet.connect(TOKEN, at);
        soak(node.fleet(), List.of(first, second), () -> {
            first.close();
            second.close();
            node.stop();
        }, Long.getLong("pyfleet.soak.remote.seconds", 20), threadsBefore, heapBefore);
    }

    /**
     * The same load through a cluster of two nodes: the clients are connected to n1 and every call
     * is named onto n2 (so n1 forwards it, and n2's answers come back through n1), while n2's
     * workers are killed under them. {@code -Dpyfleet.soak.cluster.seconds} (default 20).
     */
    @Test
    void theSameThroughAClusterEndsEveryForwardedCallExactlyOnce() throws Exception {
        Set<String> threadsBefore = pyfleetThreads();
        long heapBefore = usedHeap();
        int seed = freePort();
        NodeServer n1 = clusterNode("n1", 1, seed, seed);
        NodeServer n2 = clusterNode("n2", 3, freePort(), seed);
        String at = "127.0.0.1:" + n1.address().getPort();
        Fleet first = Fleet.connect(TOKEN, at);
        Fleet second = Fleet.connect(TOKEN, at);
        Eventually.await(Duration.ofSeconds(60), () -> first.nodes().size() == 2, () -> "n1 sees n2: " + first.nodes());
        soak(n2.fleet(), List.of(new OnNode(first, "n2"), new OnNode(second, "n2")), () -> {
            first.close();
            second.close();
            n2.stop();
            n1.stop();
        }, Long.getLong("pyfleet.soak.cluster.seconds", 20), threadsBefore, heapBefore);
    }

    private static NodeServer clusterNode(String name, int workers, int port, int seed) {
        Map<String, Object> settings = new HashMap<>(SOAK_POOL);
        settings.put("pyfleet.node-name", name);
        settings.put("pyfleet.gateway.port", 0);
        settings.put("pyfleet.gateway.token", TOKEN);
        settings.put("pyfleet.cluster.enabled", true);
        settings.put("pyfleet.cluster.port", port);
        settings.put("pyfleet.cluster.seeds", List.of("127.0.0.1:" + seed));
        settings.put("pyfleet.cluster.describe-interval", "300ms");
        com.typesafe.config.Config config = TestFleets.config(workers, settings);
        return NodeServer.start(config, GatewaySettings.from(config), io.pyfleet.node.config.ClusterSettings.from(config),
                line -> { });
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A fleet whose every call, identical call and scatter is named onto one node of the cluster. */
    private static final class OnNode extends io.pyfleet.node.ForwardingFleet {
        private final String node;

        OnNode(Fleet fleet, String node) {
            super(fleet);
            this.node = node;
        }

        private CallOptions placed(CallOptions o) {
            return o.toBuilder().on(node).build();
        }

        @Override
        public CompletableFuture<Object> submit(Call call) {
            return fleet.submit(call.with(placed(call.options())));
        }

        @Override
        public CompletableFuture<List<Outcome>> identicalAsync(Call call) {
            return fleet.identicalAsync(call.with(placed(call.options())));
        }

        @Override
        public CompletableFuture<List<Outcome>> scatterAsync(String name, List<? extends List<?>> argumentSets,
                CallOptions options) {
            return fleet.scatterAsync(name, argumentSets, placed(options == null ? CallOptions.DEFAULT : options));
        }
    }

    private static final String TOKEN = "soak-token-0123456789abcdef";

    /** Callers on {@code callers} (round robin by thread) while {@code fleet}'s workers are killed. */
    private void soak(EmbeddedNode fleet, List<Fleet> callers, Runnable closeAll, long seconds,
            Set<String> threadsBefore, long heapBefore) throws Exception {
        Map<String, Fate> fates = new ConcurrentHashMap<>();
        List<CompletableFuture<?>> all = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong kills = new AtomicLong();
        List<Long> pids = new ArrayList<>();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            CountDownLatch done = new CountDownLatch(THREADS);
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                Thread caller = new Thread(() -> {
                    try {
                        callerLoop(callers.get(thread % callers.size()), thread, end, fates, all);
                    } finally {
                        done.countDown();
                    }
                }, "soak-caller-" + t);
                caller.start();
            }
            while (System.nanoTime() < end) {
                Thread.sleep(ThreadLocalRandom.current().nextInt(100, 400));
                List<String> serving = fleet.stats().workers().stream().filter(w -> w.ready())
                        .map(w -> w.id()).toList();
                fleet.stats().workers().forEach(w -> pids.add(w.pid()));
                if (!serving.isEmpty()) {
                    fleet.killWorker(serving.get(ThreadLocalRandom.current().nextInt(serving.size())));
                    kills.incrementAndGet();
                }
            }
            assertTrue(done.await(60, TimeUnit.SECONDS), "the callers finished");
            List<CompletableFuture<?>> snapshot;
            synchronized (all) {
                snapshot = new ArrayList<>(all);
            }
            long unfinished = 0;
            for (CompletableFuture<?> f : snapshot) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    // a typed failure is an outcome too
                } catch (java.util.concurrent.TimeoutException e) {
                    unfinished++;
                }
            }
            assertEquals(0, unfinished, "calls without an outcome");
            int checked = checkRuns(fates);
            assertTrue(checked > 1000, "enough calls: " + checked);
            assertTrue(kills.get() > 10, "enough kills: " + kills.get());
            System.out.printf("soak: %d side-effect calls, %d futures, %d kills in %d s%n", checked, snapshot.size(),
                    kills.get(), seconds);
            snapshot.clear();
            all.clear(); // the test's own references: what stays after close is the node's
        } finally {
            closeAll.run();
        }
        for (long pid : pids) {
            if (pid > 0) {
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "worker " + pid);
            }
        }
        Eventually.await(Duration.ofSeconds(15), () -> threadsBefore.containsAll(pyfleetThreads()),
                () -> "threads left: " + pyfleetThreads());
        fates.clear();
        long heapAfter = usedHeap();
        if (Boolean.getBoolean("pyfleet.soak.histogram")) {
            Process jcmd = new ProcessBuilder("jcmd", Long.toString(ProcessHandle.current().pid()),
                    "GC.class_histogram").redirectErrorStream(true).start();
            String histogram = new String(jcmd.getInputStream().readAllBytes());
            System.out.println(histogram.lines().limit(30).collect(Collectors.joining("\n")));
        }
        assertTrue(heapAfter < heapBefore + (64L << 20), "heap grew from " + heapBefore + " to " + heapAfter);
    }

    private void callerLoop(Fleet fleet, int thread, long end, Map<String, Fate> fates,
            List<CompletableFuture<?>> all) {
        String file = dir.resolve("runs-" + thread).toString();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        PyObject deque = null;
        long n = 0;
        while (System.nanoTime() < end) {
            String key = thread + "-" + n++;
            int choice = random.nextInt(10);
            try {
                if (choice < 4) {
                    CompletableFuture<Object> f = fleet.callAsync("fleettest.mark_line", file, key,
                            random.nextInt(3) == 0 ? 0.002 : 0.0);
                    all.add(f.whenComplete((v, e) -> fates.put(key, fateOf(e))));
                } else if (choice < 6) {
                    try {
                        fleet.call("fleettest.mark_line", file, key);
                        fates.put(key, Fate.RAN);
                    } catch (PyFleetException e) {
                        fates.put(key, fateOf(e));
                    }
                } else if (choice < 7) {
                    List<List<?>> items = new ArrayList<>();
                    List<String> keys = new ArrayList<>();
                    for (int i = 0; i < 20; i++) {
                        String k = key + "s" + i;
                        keys.add(k);
                        items.add(List.of(file, k));
                    }
                    CompletableFuture<List<Outcome>> f = fleet.scatterAsync("fleettest.mark_line", items,
                            CallOptions.DEFAULT);
                    all.add(f.whenComplete((outcomes, e) -> {
                        for (int i = 0; i < keys.size(); i++) {
                            fates.put(keys.get(i), fateOf(outcomes.get(i).error()));
                        }
                    }));
                } else if (choice < 9) {
                    if (deque == null) {
                        deque = (PyObject) fleet.submit(Call.init("collections.deque", List.of(), Map.of())
                                .with(CallOptions.builder().asHandle().build())).get(30, TimeUnit.SECONDS);
                    }
                    all.add(fleet.submit(Call.method(deque, "append", List.of(key), Map.of())));
                    if (random.nextInt(20) == 0) {
                        deque.close();
                        deque = null;
                    }
                } else {
                    all.add(fleet.identicalAsync(Call.function("operator.add", List.of(1, 2), Map.of())));
                }
            } catch (PyFleetException e) {
                deque = null; // stale after its worker died
            } catch (Exception e) {
                deque = null;
            }
        }
        if (deque != null) {
            deque.close();
        }
    }

    /** Every call ran as often as its outcome says; returns how many were checked. */
    private int checkRuns(Map<String, Fate> fates) throws IOException {
        Map<String, Integer> runs = countRuns();
        int checked = 0;
        for (Map.Entry<String, Fate> e : fates.entrySet()) {
            int n = runs.getOrDefault(e.getKey(), 0);
            switch (e.getValue()) {
                case RAN -> assertEquals(1, n, "call " + e.getKey() + " succeeded but ran " + n + " times");
                case NEVER_RAN -> assertEquals(0, n, "call " + e.getKey() + " failed as never run but ran");
                default -> assertTrue(n <= 1, "call " + e.getKey() + " may have run, and ran " + n + " times");
            }
            checked++;
        }
        runs.forEach((key, n) -> assertTrue(n <= 1, "call " + key + " ran " + n + " times"));
        return checked;
    }

    private Map<String, Integer> countRuns() throws IOException {
        Map<String, Integer> runs = new HashMap<>();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                for (String line : Files.readAllLines(p)) {
                    if (!line.isEmpty()) {
                        runs.merge(line, 1, Integer::sum);
                    }
                }
            }
        }
        return runs;
    }
}
