package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.OverloadedException;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Load tests: an abuser next to an honest client, on a node in its own JVM with a bounded heap
 * (-Xmx1g). The node's memory stays bounded, the abuser is refused or closed, and the honest
 * client's calls all end within their timeout. Each prints what it measured (heap, p50/p99).
 */
class MemoryBoundsTest {
    private static final long HONEST_TIMEOUT_MS = 10_000;

    record Node(Process process, int port, long[] workers) {
        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", port);
        }
    }

    static Node start(int workers, String... settings) throws IOException {
        List<String> args = new ArrayList<>(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "-Dpyfleet.python=" + io.pyfleet.node.TestPython.interpreter(), NodeMain.class.getName(),
                Integer.toString(workers), "2s"));
        args.addAll(List.of(settings));
        ProcessBuilder pb = new ProcessBuilder(io.pyfleet.node.ChildJvm.java(args.toArray(String[]::new)));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        int port = Integer.parseInt(out.readLine().split(" ")[1]);
        long[] pids = Arrays.stream(out.readLine().split(" ")[1].split(",")).mapToLong(Long::parseLong).toArray();
        return new Node(p, port, pids);
    }

    /** Heap in use in the node's JVM (jcmd GC.heap_info), in MiB; -1 when it cannot be read. */
    static long heapUsedMiB(Process node) {
        try {
            Process j = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd")
                    .toString(), Long.toString(node.pid()), "GC.heap_info").redirectErrorStream(true).start();
            String text = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            j.waitFor(10, TimeUnit.SECONDS);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(text);
            return m.find() ? Long.parseLong(m.group(1)) / 1024 : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the sampler's stop: it must see it, or join() waits forever
            return -1;
        }
    }

    /** An honest client: one small call after another, each timed; failures are kept as they are. */
    static final class Honest implements AutoCloseable {
        final List<Long> micros = Collections.synchronizedList(new ArrayList<>());
        final List<Object> failures = Collections.synchronizedList(new ArrayList<>());
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread thread;

        Honest(InetSocketAddress at) {
            thread = new Thread(() -> {
                try (WireClient c = new WireClient(at)) {
                    c.socket.setSoTimeout((int) HONEST_TIMEOUT_MS);
                    assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
                    long id = 1;
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        c.request(id, "builtin", "abs", List.of(-id), Map.of("timeout_ms", HONEST_TIMEOUT_MS));
                        Incoming r = c.read();
                        micros.add((System.nanoTime() - t0) / 1000);
                        if (r.type() != Messages.REPLY || !Long.valueOf(id).equals(r.body())) {
                            failures.add(r.type() == Messages.ERROR ? RemoteFailures.toException((RemoteError) r.body())
                                    : r.body());
                        }
                        id++;
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    failures.add(e);
                }
            }, "honest-client");
            thread.start();
        }

        String summary() {
            List<Long> sorted = new ArrayList<>(micros);
            Collections.sort(sorted);
            if (sorted.isEmpty()) {
                return "no calls";
            }
            return sorted.size() + " calls, p50 " + sorted.get(sorted.size() / 2) / 1000.0 + " ms, p99 "
                    + sorted.get(Math.min(sorted.size() - 1, sorted.size() * 99 / 100)) / 1000.0 + " ms, max "
                    + sorted.get(sorted.size() - 1) / 1000.0 + " ms";
        }

        /** Stops the calls and waits for the last one. */
        void finish() {
            stop.set(true);
            try {
                thread.join(HONEST_TIMEOUT_MS * 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            finish();
        }
    }

    /**
     * A never-ending stream of 64 KiB items whose client stops reading: the node closes the client at four
     * times max-buffered and kills the worker that produced for it, so nothing is made for nobody.
     */
    @Test
    void aStreamWhoseClientStopsReadingIsStoppedAndItsWorkerReplaced() throws Exception {
        Node node = start(2);
        long maxHeap = 0;
        try (Honest honest = new Honest(node.address()); WireClient abuser = new WireClient(node.address())) {
            abuser.socket.setReceiveBufferSize(64 * 1024);
            assertEquals(Gateway.WELCOME, abuser.handshake(TestNodes.TOKEN).type());
            abuser.send(Messages.request(1, "call", "itertools.repeat", List.of(new byte[64 * 1024]), null,
                    Map.of("stream", true, "events", true)));
            long t0 = System.nanoTime();
            // the abuser reads nothing; a ping every 100 ms fails once the node has closed it (a reset)
            long closedAfterMs = -1;
            long lastSample = 0;
            while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20)) {
                Thread.sleep(100);
                if (System.nanoTime() - lastSample > TimeUnit.SECONDS.toNanos(1)) {
                    maxHeap = Math.max(maxHeap, heapUsedMiB(node.process()));
                    lastSample = System.nanoTime();
                }
                assertTrue(node.process().isAlive(), "the node is still serving");
                if (closedAfterMs < 0) {
                    try {
                        abuser.send(Gateway.message(Gateway.PING, null));
                    } catch (IOException closed) {
                        closedAfterMs = (System.nanoTime() - t0) / 1_000_000;
                    }
                }
            }
            assertTrue(closedAfterMs > 0, "the node closed the client that does not read");
            // the worker that streamed for nobody was killed and replaced: both workers serve, and the stream's is gone
            boolean oneGone = Arrays.stream(node.workers()).anyMatch(pid -> !ProcessHandle.of(pid)
                    .map(ProcessHandle::isAlive).orElse(false));
            assertTrue(oneGone, "the worker that produced for the closed client was killed");
            Thread.sleep(1000);
            long heapAfter = heapUsedMiB(node.process());
            honest.finish();
            System.out.println("[measure] stream abuse: max heap " + maxHeap + " MiB, after " + heapAfter
                    + " MiB; honest " + honest.summary() + "; abuser closed (seen) after " + closedAfterMs + " ms");
            assertTrue(honest.failures.isEmpty(), "the honest client's calls all succeed: " + honest.failures);
            assertTrue(honest.micros.stream().allMatch(us -> us < HONEST_TIMEOUT_MS * 1000));
            assertTrue(maxHeap < 900, "the heap stays bounded: " + maxHeap + " MiB");
        } finally {
            node.process().destroy();
            node.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * 144 requests of 40 MB from eight connections that read nothing back: each connection is read only as far
     * as pyfleet.gateway.max-connection-bytes, and what the node as a whole has no room for is refused at once
     * as OverloadedException (not run). The node keeps serving with a 1 GiB heap, and so does the honest client.
     */
    @Test
    void largeRequestsAreReadOnlyAsFarAsTheNodeHasRoomAndTheRestIsRefusedNotRun() throws Exception {
        Node node = start(3, "pyfleet.gateway.max-node-bytes=256MiB");
        int connections = 8;
        int perConnection = 18;
        byte[] big = new byte[40_000_000];
        byte[] request = Messages.request(1, "builtin", "len", List.of(big), null, null);
        assertEquals(1, request[2], "[type, id, ...]: the id is the third byte");
        ExecutorService pool = Executors.newFixedThreadPool(connections * 2);
        AtomicLong maxHeap = new AtomicLong();
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        try (Honest honest = new Honest(node.address())) {
            List<Future<?>> done = new ArrayList<>();
            long t0 = System.nanoTime();
            AtomicLong firstRefusalMs = new AtomicLong(-1);
            for (int k = 0; k < connections; k++) {
                done.add(pool.submit(() -> {
                    try (WireClient c = new WireClient(node.address())) {
                        c.socket.setSoTimeout(120_000);
                        assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
                        Future<?> reader = pool.submit(() -> {
                            for (int i = 0; i < perConnection; i++) {
                                Incoming r = c.read();
                                String what;
                                if (r.type() == Messages.REPLY) {
                                    what = "ran";
                                } else {
                                    PyFleetException e = RemoteFailures.toException((RemoteError) r.body());
                                    what = e.getClass().getSimpleName();
                                    if (e instanceof OverloadedException) {
                                        firstRefusalMs.compareAndSet(-1, (System.nanoTime() - t0) / 1_000_000);
                                        assertTrue(e.getMessage().contains("pyfleet.gateway.max-node-bytes")
                                                && e.getMessage().contains("not run"), e.getMessage());
                                    }
                                }
                                outcomes.merge(what, 1, Integer::sum);
                            }
                            return null;
                        });
                        for (int i = 1; i <= perConnection; i++) {
                            byte[] r = request.clone();
                            r[2] = (byte) i; // [0, id, ...]: the id is a positive fixint
                            c.send(r);
                        }
                        reader.get(120, TimeUnit.SECONDS);
                    }
                    return null;
                }));
            }
            Thread sampler = heapSampler(node, maxHeap);
            sampler.start();
            for (Future<?> f : done) {
                f.get(180, TimeUnit.SECONDS);
            }
            sampler.interrupt();
            sampler.join();
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            honest.finish();
            System.out.println("[measure] 144 x 40 MB: outcomes " + outcomes + " in " + tookMs + " ms, first refusal "
                    + firstRefusalMs.get() + " ms; max heap " + maxHeap.get() + " MiB; honest " + honest.summary());
            assertEquals(connections * perConnection, outcomes.values().stream().mapToInt(Integer::intValue).sum());
            assertTrue(outcomes.keySet().stream().allMatch(k -> k.equals("ran") || k.equals("OverloadedException")),
                    "each request ran or was refused as not run: " + outcomes);
            assertTrue(node.process().isAlive(), "the node still serves");
            assertTrue(honest.failures.isEmpty(), "the honest client's calls all succeed: " + honest.failures);
            assertFalse(honest.micros.isEmpty());
        } finally {
            pool.shutdownNow();
            node.process().destroy();
            node.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A scatter of numpy.zeros(1_000_000) over 60 items (480 MB of results) and identical of bytes(40 MB) on two
     * workers, through the thin client, next to an honest client: the outcomes stream one per frame (none over
     * max_frame, which the client would answer by dropping the connection), the node's 1 GiB heap holds.
     */
    @Test
    void largeScatterAndIdenticalResultsComeBackWithinTheFrameOnABoundedHeap() throws Exception {
        Node node = start(2);
        AtomicLong maxHeap = new AtomicLong();
        Thread sampler = heapSampler(node, maxHeap);
        try (Honest honest = new Honest(node.address());
                io.pyfleet.client.Fleet fleet = io.pyfleet.client.Fleet.connect(TestNodes.TOKEN,
                        "127.0.0.1:" + node.port())) {
            sampler.start();
            long t0 = System.nanoTime();
            List<List<?>> items = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                items.add(List.of(1_000_000));
            }
            List<io.pyfleet.client.Outcome> scattered = fleet.scatter("numpy.zeros", items);
            long scatterMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(60, scattered.size());
            for (io.pyfleet.client.Outcome o : scattered) {
                assertTrue(o.isOk(), "every item comes back: " + o);
            }
            scattered = null;
            long t1 = System.nanoTime();
            List<io.pyfleet.client.Outcome> same = fleet.identical("builtins.bytes", 40_000_000);
            long identicalMs = (System.nanoTime() - t1) / 1_000_000;
            assertEquals(2, same.size());
            for (io.pyfleet.client.Outcome o : same) {
                assertTrue(o.isOk(), "each worker's 40 MB comes back: " + o);
                assertEquals(40_000_000, ((byte[]) o.value()).length);
            }
            sampler.interrupt();
            sampler.join();
            honest.finish();
            System.out.println("[measure] scatter 60 x numpy.zeros(1e6) in " + scatterMs + " ms, identical 2 x 40 MB in "
                    + identicalMs + " ms; max heap " + maxHeap.get() + " MiB; honest " + honest.summary());
            assertTrue(honest.failures.isEmpty(), "the honest client's calls all succeed: " + honest.failures);
            assertTrue(node.process().isAlive());
        } finally {
            sampler.interrupt();
            node.process().destroy();
            node.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** A thread (not started) that keeps the node's largest used heap seen, every 500 ms, until interrupted. */
    private static Thread heapSampler(Node node, AtomicLong maxHeap) {
        return new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxHeap.accumulateAndGet(heapUsedMiB(node.process()), Math::max);
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }
}
