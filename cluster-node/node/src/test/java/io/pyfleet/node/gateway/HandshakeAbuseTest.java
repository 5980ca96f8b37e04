package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.node.ChildJvm;
import io.pyfleet.node.TestPython;
import io.pyfleet.protocol.Messages;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 19, item 3: a peer that never authenticates must not lock token holders out. A node in its own JVM
 * ({@code -Xmx1g}, default gateway settings) is abused from 127.0.0.2 (or {@code -Dabuse.addresses=N} loopback
 * addresses from there on) by connections that send nothing or send
 * a hello one byte at a time, re-opened as soon as the node drops each; meanwhile an honest client on 127.0.0.1
 * connects, calls and closes over and over. Every one of its connects and calls must succeed within its timeout.
 */
class HandshakeAbuseTest {
    /** More than the default max-connections (1024): before the fix, enough to hold every slot. */
    private static final int ABUSER_CONNECTIONS = 1200;
    private static final int SLOW_HELLOS = 100;
    private static final Duration ABUSE = Duration.ofSeconds(Long.getLong("abuse.seconds", 20));
    private static final Duration HONEST_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How many loopback addresses the abuser spreads over, from 127.0.0.2 on: one by default; more to measure
     * (and {@code -Dabuse.first=1} puts it on the honest client's own address, which the node cannot tell apart).
     */
    private static final int ABUSER_ADDRESSES = Integer.getInteger("abuse.addresses", 1);

    @Test
    void aTokenHolderGetsInWhileAnotherAddressHoldsAndChurnsUnauthenticatedConnections() throws Exception {
        Process node = new ProcessBuilder(ChildJvm.java("-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "-Dpyfleet.python=" + TestPython.interpreter(), HandshakeNodeMain.class.getName(), "2"))
                .redirectErrorStream(true).start();
        AtomicLong maxHeap = new AtomicLong();
        AtomicLong logLines = new AtomicLong();
        List<String> sampleLog = Collections.synchronizedList(new ArrayList<>());
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
            String first;
            while (!(first = out.readLine()).startsWith("listening ")) {
                System.err.println("node: " + first);
            }
            int port = Integer.parseInt(first.split(" ")[1]);
            AtomicBoolean measuring = new AtomicBoolean();
            Thread heap = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (measuring.get() && line.startsWith("heap ")) {
                            maxHeap.accumulateAndGet(Long.parseLong(line.substring(5)), Math::max);
                        } else if (measuring.get()) {
                            logLines.incrementAndGet(); // the node's own log: a line per try would flood it
                            if (line.contains("127.0.0.2") && sampleLog.size() < 5) {
                                sampleLog.add(line.length() > 400 ? line.substring(0, 400) + "..." : line);
                            }
                        }
                    }
                } catch (IOException e) {
                    // the node ended
                }
            }, "heap-reader");
            heap.setDaemon(true);
            heap.start();
            String address = "127.0.0.1:" + port;
            honestTry(address); // the node serves (and the client's classes are loaded) before the abuse

            List<InetAddress> from = new ArrayList<>();
            for (int i = 0; i < ABUSER_ADDRESSES; i++) {
                from.add(TestNodes.otherLoopback(Integer.getInteger("abuse.first", 2) + i));
            }
            Abuser abuser = new Abuser(new InetSocketAddress("127.0.0.1", port), from);
            Thread abuse = new Thread(abuser, "abuser");
            abuse.start();
            long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (abuser.open.get() < ABUSER_CONNECTIONS && System.nanoTime() < settle) {
                Thread.sleep(50);
            }
            measuring.set(true);
            List<Long> latencies = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            long end = System.nanoTime() + ABUSE.toNanos();
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                try {
                    honestTry(address);
                    latencies.add(System.nanoTime() - t0);
                } catch (RuntimeException e) {
                    String why = e.getClass().getSimpleName() + ": " + e.getMessage();
                    failures.add(why.length() > 240 ? why.substring(0, 240) + "..." : why);
                }
                Thread.sleep(100);
            }
            measuring.set(false);
            abuser.stop.set(true);
            abuse.join(10_000);

            Collections.sort(latencies);
            int tries = latencies.size() + failures.size();
            long late = latencies.stream().filter(l -> l > HONEST_TIMEOUT.toNanos()).count();
            System.out.printf("honest client: %d of %d succeeded; connect+call p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    latencies.size(), tries, ms(pct(latencies, 50)), ms(pct(latencies, 99)),
                    ms(pct(latencies, 100)));
            System.out.printf("node heap under the abuse: max used %d MiB (-Xmx1g)%n", maxHeap.get() >> 20);
            System.out.println("abuser: " + abuser.summary());
            System.out.println("node log: " + logLines.get() + " lines during the abuse; about the abuser: " + sampleLog);
            if (!failures.isEmpty()) {
                System.out.println("first failures: " + failures.subList(0, Math.min(3, failures.size())));
            }
            assertTrue(abuser.connects.get() > ABUSER_CONNECTIONS, "the abuser got its connections open: "
                    + abuser.summary());
            assertEquals(List.of(), failures.subList(0, Math.min(3, failures.size())),
                    failures.size() + " of " + tries + " honest connect+call failed during the abuse");
            assertEquals(0, late, "honest connect+calls over " + HONEST_TIMEOUT + ": " + late);
        } finally {
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** One connect, one call, one close, each bounded by the client's timeouts. */
    private static void honestTry(String address) {
        ClientOptions options = ClientOptions.builder().address(address).token(TestNodes.TOKEN)
                .connectTimeout(HONEST_TIMEOUT).build();
        try (Fleet fleet = Fleet.connect(options)) {
            assertEquals(5L, fleet.call("builtins.abs", -5));
        }
    }

    private static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1 < 0 ? 0
                : (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /**
     * One thread, one selector: keeps {@link #ABUSER_CONNECTIONS} connections open from its own address, none of
     * which ever authenticates. Most send nothing; {@link #SLOW_HELLOS} send an auth frame's bytes one every
     * 500 ms. Each connection the node drops is re-opened at once. Records how long the node let each live.
     */
    static final class Abuser implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger open = new AtomicInteger();
        final AtomicLong connects = new AtomicLong();
        final AtomicLong refusedConnects = new AtomicLong();
        final ConcurrentLinkedQueue<Long> lifetimes = new ConcurrentLinkedQueue<>();
        /** From connect to a refusal as the node's first frame. */
        final ConcurrentLinkedQueue<Long> refusals = new ConcurrentLinkedQueue<>();
        private final InetSocketAddress node;
        private final List<InetAddress> from;
        private int next;

        Abuser(InetSocketAddress node, List<InetAddress> from) {
            this.node = node;
            this.from = from;
        }

        /** Per connection: when it connected, how many hello bytes it sent, when it sent the last. */
        private static final class Conn {
            long connectedAt;
            int sent;
            long lastSend;
            boolean answered;
            final boolean slow;

            Conn(boolean slow) {
                this.slow = slow;
            }
        }

        @Override
        public void run() {
            byte[] hello = new byte[64];
            hello[3] = 60; // a 60-byte frame that never completes
            ByteBuffer sink = ByteBuffer.allocate(8192);
            int slowOpen = 0;
            long lastWriteRound = 0;
            try (Selector selector = Selector.open()) {
                while (!stop.get()) {
                    while (open.get() < ABUSER_CONNECTIONS) {
                        boolean slow = slowOpen < SLOW_HELLOS;
                        try {
                            SocketChannel ch = SocketChannel.open();
                            ch.configureBlocking(false);
                            ch.bind(new InetSocketAddress(from.get(next++ % from.size()), 0));
                            ch.connect(node);
                            ch.register(selector, SelectionKey.OP_CONNECT, new Conn(slow));
                            open.incrementAndGet();
                            if (slow) {
                                slowOpen++;
                            }
                        } catch (IOException e) {
                            refusedConnects.incrementAndGet(); // ports in TIME_WAIT: pause a little
                            break;
                        }
                    }
                    selector.select(20);
                    long now = System.nanoTime();
                    for (SelectionKey key : selector.selectedKeys()) {
                        Conn c = (Conn) key.attachment();
                        SocketChannel ch = (SocketChannel) key.channel();
                        try {
                            if (c.connectedAt == 0 && key.isConnectable() && ch.finishConnect()) {
                                c.connectedAt = now;
                                c.lastSend = now;
                                connects.incrementAndGet();
                                key.interestOps(SelectionKey.OP_READ);
                            } else if (c.connectedAt != 0 && key.isReadable()) {
                                sink.clear();
                                int n = ch.read(sink);
                                if (n < 0) {
                                    slowOpen -= close(key, c, now);
                                } else if (!c.answered && n >= 6) {
                                    c.answered = true; // [type, ...] after the length: an error is a refusal
                                    if (sink.get(5) == Messages.ERROR) {
                                        refusals.add(now - c.connectedAt);
                                    }
                                }
                            }
                        } catch (IOException e) {
                            slowOpen -= close(key, c, now);
                        }
                    }
                    if (now - lastWriteRound > 100_000_000L) { // the slow hellos: a byte every 500 ms
                        lastWriteRound = now;
                        for (SelectionKey key : selector.keys()) {
                            Conn c = (Conn) key.attachment();
                            if (key.isValid() && c.slow && c.connectedAt != 0 && c.sent < hello.length
                                    && now - c.lastSend > 500_000_000L) {
                                try {
                                    ((SocketChannel) key.channel()).write(ByteBuffer.wrap(hello, c.sent, 1));
                                    c.sent++;
                                    c.lastSend = now;
                                } catch (IOException e) {
                                    slowOpen -= close(key, c, now);
                                }
                            }
                        }
                    }
                    selector.selectedKeys().clear();
                    if (refusedConnects.get() > 0 && open.get() < ABUSER_CONNECTIONS) {
                        Thread.sleep(1);
                    }
                }
                for (SelectionKey key : selector.keys()) {
                    key.channel().close();
                }
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Closes a connection the node dropped; 1 when it was a slow hello. */
        private int close(SelectionKey key, Conn c, long now) {
            if (c.connectedAt != 0) {
                lifetimes.add(now - c.connectedAt);
            }
            key.cancel();
            try {
                key.channel().close();
            } catch (IOException ignored) {
                // gone either way
            }
            open.decrementAndGet();
            return c.slow ? 1 : 0;
        }

        String summary() {
            List<Long> l = new ArrayList<>(lifetimes);
            Collections.sort(l);
            List<Long> r = new ArrayList<>(refusals);
            Collections.sort(r);
            return String.format("%d connections opened, %d closed by the node: lived p50 %.0f ms, p99 %.0f ms, "
                    + "max %.0f ms; %d refused as the first frame, in p50 %.1f ms, p99 %.1f ms; %d local connect "
                    + "errors", connects.get(), l.size(), ms(pct(l, 50)), ms(pct(l, 99)), ms(pct(l, 100)), r.size(),
                    ms(pct(r, 50)), ms(pct(r, 99)), refusedConnects.get());
        }
    }
}
