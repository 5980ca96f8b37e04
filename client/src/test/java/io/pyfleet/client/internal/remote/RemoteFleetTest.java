package io.pyfleet.client.internal.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.AuthenticationException;
import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.ConnectionLostException;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.protocol.Frames;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The thin client against {@link FakeGateway}, a stand-in that speaks the gateway's wire:
 * what reaches the node, and what the caller sees, for each rule of PROTOCOL.md's client part.
 */
class RemoteFleetTest {
    private static final String TOKEN = "s3cret-token";
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private FakeGateway gateway() throws Exception {
        FakeGateway g = new FakeGateway(TOKEN);
        toClose.add(g);
        return g;
    }

    private RemoteFleet connect(ClientOptions.Builder options) {
        RemoteFleet fleet = RemoteFleet.connect(options.build());
        toClose.add(fleet);
        return fleet;
    }

    private RemoteFleet connect(FakeGateway g) {
        return connect(ClientOptions.builder().token(TOKEN).address(g.address()));
    }

    private static Throwable failure(CompletableFuture<?> f) {
        try {
            f.get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("the call did not fail in time", e);
        }
        throw new AssertionError("the call succeeded");
    }

    @Test
    void handshakeThenACallRoundTrips() throws Exception {
        FakeGateway g = gateway();
        Fleet fleet = Fleet.connect(TOKEN, g.address());
        toClose.add(fleet);
        FakeGateway.Session s = g.session();
        assertTrue(s.authenticated);
        assertInstanceOf(byte[].class, s.auth.get("nonce"));
        assertEquals(Gateway.NONCE_BYTES, ((byte[]) s.auth.get("nonce")).length);

        CompletableFuture<Object> f = fleet.callAsync("math.sqrt", 16.0);
        FakeGateway.Request r = s.request();
        assertEquals(1L, r.id(), "ids start at 1 on a connection");
        assertEquals("call", r.op());
        assertEquals("math.sqrt", r.target());
        assertEquals(List.of(16.0), r.args());
        assertNull(r.opts(), "a plain call has no opts");
        s.reply(r.id(), 4.0);
        assertEquals(4.0, Fleet.join(f));
    }

    @Test
    void wrongTokenIsAnAuthenticationFailureAndNoRequestIsSent() throws Exception {
        FakeGateway g = gateway();
        AuthenticationException e = assertThrows(AuthenticationException.class,
                () -> connect(ClientOptions.builder().token("not-the-token").address(g.address())));
        assertTrue(e.getMessage().contains("wrong token"), e.getMessage());
        FakeGateway.Session s = g.session();
        assertFalse(s.authenticated);
        assertTrue(s.awaitEnd(), "the client closes the refused connection");
        assertTrue(s.received.isEmpty(), "nothing after the auth: " + s.received);
    }

    @Test
    void aNodeThatCannotProveTheTokenIsRefused() throws Exception {
        FakeGateway g = gateway();
        g.badWelcomeMac = true;
        AuthenticationException e = assertThrows(AuthenticationException.class, () -> connect(g));
        assertTrue(e.getMessage().contains("did not prove"), e.getMessage());
        FakeGateway.Session s = g.session();
        assertTrue(s.awaitEnd(), "the client hangs up");
        assertTrue(s.received.isEmpty(), "no request reached a node that failed its proof: " + s.received);
    }

    @Test
    void repliesOutOfOrderAreMatchedById() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();
        List<CompletableFuture<Object>> calls = new ArrayList<>();
        List<FakeGateway.Request> requests = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            calls.add(fleet.callAsync("f", (long) i));
            requests.add(s.request());
        }
        for (int i = 4; i >= 0; i--) {
            FakeGateway.Request r = requests.get(i);
            s.reply(r.id(), "answer-" + r.args().get(0));
        }
        for (int i = 0; i < 5; i++) {
            assertEquals("answer-" + i, calls.get(i).get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void eventsArriveInOrderOffTheReaderAndBeforeTheResult() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();
        List<Object> seen = Collections.synchronizedList(new ArrayList<>());
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        CallOptions opts = CallOptions.builder().stream(v -> {
            seen.add(v);
            threads.add(Thread.currentThread().getName());
            if (v.equals(3L)) {
                throw new IllegalStateException("a consumer that throws keeps receiving");
            }
        }).build();
        CompletableFuture<Object> f = fleet.submit(Call.function("gen", List.of(), Map.of()).with(opts));
        FakeGateway.Request r = s.request();
        assertEquals(Map.of("stream", true, "events", true), r.opts());
        for (long i = 0; i < 200; i++) {
            s.event(r.id(), i);
        }
        s.reply(r.id(), 200L);
        assertEquals(200L, f.get(5, TimeUnit.SECONDS));
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < 200; i++) {
            expected.add(i);
        }
        assertEquals(expected, List.copyOf(seen), "every event, in order, before the future completed");
        assertTrue(threads.stream().allMatch(t -> t.startsWith("pyfleet-client-callback-")), threads.toString());
    }

    @Test
    void optionsTravelAsTheProtocolSays() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();
        fleet.submit(Call.constant("math.pi", io.pyfleet.client.Coerce.INT)
                .with(CallOptions.builder().timeout(Duration.ofMillis(1500)).asHandle().build()));
        FakeGateway.Request r = s.request();
        assertEquals("const", r.op());
        assertEquals(Map.of("ret", "handle", "coerce", "int", "timeout_ms", 1500L), r.opts());
    }

    @Test
    void errorFramesBecomeTheirExceptions() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();
        CompletableFuture<Object> f = fleet.callAsync("int", "x");
        FakeGateway.Request r = s.request();
        s.error(r.id(), new RemoteError("python", "builtins.ValueError", "invalid literal", "Traceback..."));
        PythonException e = assertInstanceOf(PythonException.class, failure(f));
        assertEquals("builtins.ValueError", e.pythonType());
    }

    @Test
    void identicalScatterStatsAndResize() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();

        CompletableFuture<List<Outcome>> same = fleet.identicalAsync(Call.function("os.getpid", List.of(), Map.of()));
        FakeGateway.Request r = s.request();
        assertEquals("identical", r.op());
        assertEquals(java.util.Arrays.asList("call", "os.getpid", null, null, null), r.args());
        s.reply(r.id(), List.of(List.of(0L, 11L), List.of(1L, List.of("worker_lost", "not_run", "gone", ""))));
        List<Outcome> outcomes = same.get(5, TimeUnit.SECONDS);
        assertEquals(11L, outcomes.get(0).get());
        OutcomeChecks.workerLostNotRun(outcomes.get(1));

        CompletableFuture<List<Outcome>> scattered = fleet.scatterAsync("math.pow", List.of(List.of(2, 3), List.of(2, 4)),
                CallOptions.builder().timeout(Duration.ofSeconds(2)).build());
        r = s.request();
        assertEquals("scatter", r.op());
        assertEquals("math.pow", r.target());
        assertEquals(List.of(List.of(List.of(2L, 3L), List.of(2L, 4L))), r.args());
        assertEquals(Map.of("timeout_ms", 2000L, "each", true), r.opts(), "outcomes asked for one frame each");
        s.reply(r.id(), List.of(List.of(0L, 8.0), List.of(0L, 16.0)));
        assertEquals(List.of(8.0, 16.0), scattered.get(5, TimeUnit.SECONDS).stream().map(Outcome::get).toList());

        Thread replier = new Thread(() -> {
            try {
                FakeGateway.Request q = s.request();
                assertEquals("stats", q.op());
                s.reply(q.id(), Map.of("node", "n1", "uptime_ms", 5L, "pool_size", 2L, "queued", 3L,
                        "workers", List.of(Map.of("id", "w1", "pid", 42L, "ready", true, "in_flight", 1L,
                                "calls", 7L, "errors", 1L, "busy_ns", 1_000_000L, "restarts", 2L,
                                "rss_bytes", 43_253_760L))));
                q = s.request();
                assertEquals("resize", q.op());
                assertEquals(List.of(3L), q.args());
                s.reply(q.id(), null);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        replier.start();
        PoolStats stats = fleet.stats();
        assertEquals("n1", stats.node());
        assertEquals(3, stats.queued());
        assertNull(stats.failed());
        assertEquals(Duration.ofMillis(5), stats.uptime());
        assertEquals(new PoolStats.WorkerStats("w1", 42, true, 1, 7, 1, Duration.ofMillis(1), 2, 43_253_760L),
                stats.workers().get(0));
        fleet.resize(3);
        replier.join(5000);
    }

    /** Outcome checks kept out of the test body. */
    private static final class OutcomeChecks {
        static void workerLostNotRun(Outcome o) {
            assertFalse(o.isOk());
            io.pyfleet.client.WorkerLostException w = assertInstanceOf(io.pyfleet.client.WorkerLostException.class,
                    o.error());
            assertFalse(w.mayHaveRun());
        }
    }

    @Test
    void aDroppedConnectionFailsEveryCallInFlightAsMayHaveRun() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();
        List<CompletableFuture<Object>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(fleet.callAsync("slow", (long) i));
            s.request();
        }
        s.drop();
        for (CompletableFuture<Object> f : calls) {
            ConnectionLostException e = assertInstanceOf(ConnectionLostException.class, failure(f));
            assertTrue(e.mayHaveRun(), e.getMessage());
        }
        // the next call reconnects (a new session) and works
        CompletableFuture<Object> again = fleet.callAsync("f");
        FakeGateway.Session s2 = g.session();
        FakeGateway.Request r = s2.request();
        assertEquals(1L, r.id(), "a new connection counts its ids from 1");
        s2.reply(r.id(), "back");
        assertEquals("back", again.get(5, TimeUnit.SECONDS));
    }

    @Test
    void noReachableNodeFailsAsNotRun() throws Exception {
        String dead = FakeGateway.deadAddress();
        ConnectionLostException e = assertThrows(ConnectionLostException.class,
                () -> connect(ClientOptions.builder().token(TOKEN).address(dead)
                        .connectTimeout(Duration.ofMillis(500))));
        assertFalse(e.mayHaveRun());
        assertTrue(e.getMessage().contains(dead), e.getMessage());
        assertTrue(e.getCause() != null, "names the last cause");
    }

    @Test
    void aCallAfterTheNodeWentAwayFailsAsNotRunThenBacksOff() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(ClientOptions.builder().token(TOKEN).address(g.address())
                .reconnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(30)));
        g.session();
        g.close();
        // the connection's end may be seen by the reader a moment later
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (fleet.connectedAddress() != null && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        ConnectionLostException first = assertInstanceOf(ConnectionLostException.class,
                failure(fleet.callAsync("f")));
        assertFalse(first.mayHaveRun());
        assertTrue(first.getMessage().contains("cannot reach"), first.getMessage());
        ConnectionLostException second = assertInstanceOf(ConnectionLostException.class,
                failure(fleet.callAsync("f")));
        assertFalse(second.mayHaveRun());
        assertTrue(second.getMessage().contains("next attempt in"), "backs off: " + second.getMessage());
    }

    @Test
    void connectsToTheSecondAddressWhenTheFirstIsDown() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(ClientOptions.builder().token(TOKEN)
                .address(FakeGateway.deadAddress(), g.address()));
        assertEquals(g.address(), fleet.connectedAddress());
        CompletableFuture<Object> f = fleet.callAsync("f");
        FakeGateway.Session s = g.session();
        s.reply(s.request().id(), 1L);
        assertEquals(1L, f.get(5, TimeUnit.SECONDS));
    }

    @Test
    void closedPyObjectsAreReleasedAndCloseReleasesTheRest() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();
        Handle h1 = new Handle(FakeGateway.NODE, "w1", 1, 10, "builtins.object");
        Handle h2 = new Handle(FakeGateway.NODE, "w1", 1, 11, "builtins.object");
        CompletableFuture<Object> f = fleet.submit(Call.function("make", List.of(), Map.of())
                .with(CallOptions.builder().asHandle().build()));
        FakeGateway.Request r = s.request();
        s.reply(r.id(), List.of(h1, h2));
        List<?> objects = (List<?>) f.get(5, TimeUnit.SECONDS);
        PyObject o1 = assertInstanceOf(PyObject.class, objects.get(0));
        assertEquals(h1, ApiAccess.handle(o1));
        assertEquals(2, fleet.liveHandles());

        o1.close();
        FakeGateway.Request release = s.request();
        assertEquals("release", release.op());
        assertEquals(List.of(h1), release.args());
        s.reply(release.id(), 1L);
        assertEquals(1, fleet.liveHandles());

        Thread closer = new Thread(fleet::close);
        closer.start();
        FakeGateway.Request last = s.request();
        assertEquals("release", last.op());
        assertEquals(List.of(h2), last.args(), "close releases what is still held");
        s.reply(last.id(), 1L);
        closer.join(5000);
        assertFalse(closer.isAlive());
        assertInstanceOf(FleetClosedException.class, failure(fleet.callAsync("f")));
    }

    @Test
    void pingsAreSentWhenIdle() throws Exception {
        FakeGateway g = gateway();
        g.heartbeatMs = 30;
        connect(g);
        FakeGateway.Session s = g.session();
        Incoming m = s.received.poll(3, TimeUnit.SECONDS);
        assertTrue(m != null && m.type() == Gateway.PING, "a ping [9, 0, nil]: " + m);
        assertEquals(0L, m.id());
        assertNull(m.body());
    }

    @Test
    void aConnectionSilentPastTheIdleTimeoutIsDead() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(ClientOptions.builder().token(TOKEN).address(g.address())
                .idleTimeout(Duration.ofMillis(300)));
        FakeGateway.Session s = g.session();
        CompletableFuture<Object> f = fleet.callAsync("sleep");
        s.request();
        long start = System.nanoTime();
        ConnectionLostException e = assertInstanceOf(ConnectionLostException.class, failure(f));
        assertTrue(e.mayHaveRun());
        assertTrue(e.getMessage().contains("nothing arrived"), e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3));
    }

    @Test
    void aFrameOverTheNodesMaxFrameIsRefusedBeforeSending() throws Exception {
        FakeGateway g = gateway();
        g.maxFrame = 256;
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();
        CompletableFuture<Object> big = fleet.callAsync("f", "x".repeat(1000));
        assertInstanceOf(Frames.FrameTooLargeException.class, failure(big));
        CompletableFuture<Object> small = fleet.callAsync("g", "y");
        FakeGateway.Request r = s.request();
        assertEquals("g", r.target(), "the oversize call never reached the node");
        s.reply(r.id(), true);
        assertEquals(true, small.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aFrameThatDoesNotParseKillsTheConnection() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();
        CompletableFuture<Object> f = fleet.callAsync("f");
        s.request();
        s.send(new byte[] {(byte) 0x93, 0x63, 0x00, 0x00}); // [99, 0, 0]: no such message type
        ConnectionLostException e = assertInstanceOf(ConnectionLostException.class, failure(f));
        assertTrue(e.mayHaveRun());
        assertInstanceOf(ProtocolException.class, e.getCause());
        assertTrue(s.awaitEnd(), "the client hung up");
    }

    @Test
    void repliesToUnknownIdsAreIgnored() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();
        CompletableFuture<Object> f = fleet.callAsync("f");
        FakeGateway.Request r = s.request();
        s.send(Messages.reply(999, "stray"));
        s.reply(r.id(), "mine");
        assertEquals("mine", f.get(5, TimeUnit.SECONDS));
    }

    @Test
    void manyCallerThreadsShareTheConnection() throws Exception {
        FakeGateway g = gateway();
        RemoteFleet fleet = connect(g);
        FakeGateway.Session s = g.session();
        int threads = 8;
        int perThread = 250;
        Thread echo = new Thread(() -> {
            try {
                for (int i = 0; i < threads * perThread; i++) {
                    FakeGateway.Request r = s.request();
                    s.reply(r.id(), r.args().get(0));
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        echo.setDaemon(true);
        echo.start();
        List<Thread> callers = new ArrayList<>();
        List<Throwable> problems = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            String prefix = "t" + t + "-";
            Thread caller = new Thread(() -> {
                List<CompletableFuture<Object>> mine = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    mine.add(fleet.callAsync("echo", prefix + i));
                }
                for (int i = 0; i < perThread; i++) {
                    try {
                        assertEquals(prefix + i, mine.get(i).get(5, TimeUnit.SECONDS));
                    } catch (Throwable e) {
                        problems.add(e);
                    }
                }
            });
            caller.start();
            callers.add(caller);
        }
        for (Thread caller : callers) {
            caller.join(10_000);
        }
        assertTrue(problems.isEmpty(), problems.toString());
        echo.join(5000);
        assertFalse(echo.isAlive(), "the stand-in read every request as a whole frame");
    }
}
