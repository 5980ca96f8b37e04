package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A client that asks for scatter outcomes as one reply (no {@code opts.each}: a client written to the protocol
 * before streaming, or an abuser) must not make the node hold every result until the last: the reply can carry
 * no more than a frame anyway. A scatter of 30 x numpy.zeros(5e6) (1.2 GB of results) on a -Xmx1g node, next to
 * an honest client: the node keeps about a frame's worth, the items past it fail on their own (they ran), and
 * the node serves on.
 */
class AssembledOutcomesTest {

    @Test
    void aScatterWithoutEachHoldsAtMostAFrameOfResults() throws Exception {
        MemoryBoundsTest.Node node = MemoryBoundsTest.start(2);
        AtomicLong maxHeap = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxHeap.accumulateAndGet(MemoryBoundsTest.heapUsedMiB(node.process()), Math::max);
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try (MemoryBoundsTest.Honest honest = new MemoryBoundsTest.Honest(node.address());
                WireClient c = new WireClient(node.address())) {
            c.socket.setSoTimeout(180_000);
            assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
            sampler.start();
            int n = 30;
            List<List<?>> items = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                items.add(List.of(5_000_000));
            }
            long t0 = System.nanoTime();
            c.request(1, "scatter", "numpy.zeros", List.of(items));
            Incoming reply;
            try {
                reply = c.read();
            } catch (java.io.IOException e) {
                throw new AssertionError("the node dropped the connection (alive: " + node.process().isAlive()
                        + ", exit " + (node.process().isAlive() ? "-" : node.process().exitValue()) + ")", e);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            sampler.interrupt();
            sampler.join();
            honest.finish();
            assertEquals(Messages.REPLY, reply.type(), "one reply with the list: " + reply.body());
            List<?> outcomes = (List<?>) reply.body();
            assertEquals(n, outcomes.size());
            int ok = 0;
            for (Object o : outcomes) {
                List<?> outcome = (List<?>) o;
                if (Long.valueOf(0).equals(outcome.get(0))) {
                    ok++;
                } else {
                    RemoteError e = RemoteError.fromFields(outcome.get(1));
                    assertTrue(e.message().contains("pyfleet.gateway.max-frame-size") && e.message().contains("ran"),
                            e.message());
                }
            }
            System.out.println("[measure] scatter without each, 30 x 40 MB: " + ok + " items in the reply, in " + ms
                    + " ms; max heap " + maxHeap.get() + " MiB; honest " + honest.summary());
            assertTrue(ok >= 1 && ok < n, "what fits a frame comes back, the rest fails alone: " + ok);
            assertTrue(node.process().isAlive(), "the node serves on");
            assertTrue(honest.failures.isEmpty(), "the honest client's calls all succeed: " + honest.failures);
            assertTrue(maxHeap.get() < 900, "the heap stays bounded: " + maxHeap.get() + " MiB");
        } finally {
            sampler.interrupt();
            node.process().destroy();
            node.process().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
