package io.pyfleet.client.internal.remote;

import io.pyfleet.client.AuthenticationException;
import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.ConnectionLostException;
import io.pyfleet.client.DType;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.NodeStatus;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolInfo;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.internal.CallbackExecutor;
import io.pyfleet.client.internal.FleetFuture;
import io.pyfleet.client.internal.OrderedEvents;
import io.pyfleet.protocol.EncodedCall;
import io.pyfleet.protocol.LargeArrays;
import io.pyfleet.protocol.Messages;
import io.pyfleet.protocol.PoolWire;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin client: a {@link Fleet} served by a node's gateway over TCP (or TLS), made by
 * {@link Fleet#connect(ClientOptions)}. Exists so a JVM program can call Python on a
 * remote node with the same API as the embedded fleet, without Pekko on its class path.
 *
 * <p>One connection at a time, to the first address of the list that answers, with the
 * handshake of PROTOCOL.md. Futures are {@link FleetFuture}s on the client's callback
 * threads ({@code pyfleet-client-callback-N}): the socket reader never runs user code.
 * A call's events reach its {@link CallOptions#onEvent()} consumer in order, one at a
 * time, before its future completes.
 *
 * <p>A call made while there is no connection connects first, on the caller's thread
 * (each address bounded by {@link ClientOptions#connectTimeout()}); a caller may also
 * block writing its request while the node pushes back (TCP flow control).
 *
 * <p>Failures: when the connection drops, every call in flight fails at once with a
 * {@link ConnectionLostException} whose {@code mayHaveRun()} is true when its request had
 * been written; no call is ever resent. The next call reconnects, trying the addresses
 * in turn; after a round in which none could be reached, calls fail at once with
 * {@code mayHaveRun() == false} until a back-off (from {@link ClientOptions#reconnectInitial()},
 * doubling up to {@link ClientOptions#reconnectMax()}) has passed.
 *
 * <p>{@link io.pyfleet.client.PyObject}s live as long as the connection that received
 * them: the node releases them when that connection ends, and a call that names one
 * after a reconnect gets a {@link StaleHandleException} from the node. Closing a PyObject
 * (or losing it to the garbage collector) queues its release; the client's timer thread
 * sends queued releases in batches, or a caller's next write carries them along.
 */
public final class RemoteFleet implements Fleet {
    private static final Logger log = LoggerFactory.getLogger(RemoteFleet.class);
    private static final AtomicInteger TIMER_THREADS = new AtomicInteger();
    /** How long close() waits for the node to confirm the final release. */
    private static final long CLOSE_RELEASE_WAIT_MS = 2000;

    private final ClientOptions options;
    private final CallbackExecutor callbacks;
    private final ScheduledThreadPoolExecutor timer;
    private final ReentrantLock connectLock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Connection current;
    /** The array-by-value-max of the gateway last connected to: larger array arguments are uploaded first. */
    private volatile long arrayByValueMax = Long.MAX_VALUE;
    // guarded by connectLock
    private long backoffNanos;
    private long retryAtNanos;
    private PyFleetException lastFailure;

    private RemoteFleet(ClientOptions options) {
        this.options = options;
        // The node's executor: lock-free, threads spin briefly before parking, so a burst of
        // completions costs no wake-up each (a cached pool paid one per call: -1/3 pipelined).
        this.callbacks = new CallbackExecutor("pyfleet-client-callback");
        this.timer = new ScheduledThreadPoolExecutor(1,
                daemon(() -> "pyfleet-client-timer-" + TIMER_THREADS.incrementAndGet()));
        timer.setRemoveOnCancelPolicy(true);
        // a callback that blocks gets a thread added beside it, as on the node
        timer.scheduleWithFixedDelay(() -> callbacks.checkStalled(System.nanoTime()), 20, 20, TimeUnit.MILLISECONDS);
        this.backoffNanos = options.reconnectInitial().toNanos();
    }

    /**
     * Connects to the first reachable address of {@code options} and returns once the
     * handshake has succeeded.
     *
     * @throws AuthenticationException when a node refuses the token, or cannot prove it holds it
     * @throws ConnectionLostException ({@code mayHaveRun() == false}) when no address could be reached
     */
    public static RemoteFleet connect(ClientOptions options) {
        RemoteFleet fleet = new RemoteFleet(options);
        try {
            fleet.connection();
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
        return fleet;
    }

    private static ThreadFactory daemon(java.util.function.Supplier<String> names) {
        return r -> {
            Thread t = new Thread(r, names.get());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * {@inheritDoc} A Java array argument larger than the gateway's {@code array-by-value-max}
     * ({@code double[]}, {@code float[]}, {@code long[]}, {@code int[]}, {@code short[]},
     * {@code boolean[]}, {@link NdArray}) is first uploaded to the node's memory by the calling thread,
     * passed by reference and freed when the call ends; an upload that fails fails the call, not run.
     */
    @Override
    public CompletableFuture<Object> submit(Call call) {
        FleetFuture<Object> result = new FleetFuture<>(callbacks, false);
        Map<String, Object> opts = wireOptions(call, true);
        long byValueMax = arrayByValueMax;
        LargeArrays large = byValueMax == Long.MAX_VALUE ? null : new LargeArrays(byValueMax);
        EncodedCall encoded;
        Connection uploadedOn = null;
        try {
            encoded = Messages.encodeCall(call.op(), call.target(), call.args(), call.kwargs(), opts, large);
            List<Object> found = large == null ? List.of() : large.takeFound();
            if (!found.isEmpty()) {
                uploadedOn = connection();
                List<PyArray> uploaded = uploadArguments(uploadedOn, found, large, call.options().node());
                // freed once the call has ended: the node frees an array a call still uses when that call ends
                result.whenComplete((v, e) -> uploaded.forEach(PyArray::close));
                encoded = Messages.encodeCall(call.op(), call.target(), call.args(), call.kwargs(), opts, large);
            }
            if (encoded.otherOwner() != null) {
                throw new StaleHandleException("one call cannot combine objects of different workers ("
                        + encoded.owner().worker() + " and " + encoded.otherOwner().worker()
                        + "): pass one of them by value");
            }
        } catch (PyFleetException e) {
            result.completeExceptionally(e);
            return result;
        } catch (RuntimeException e) { // an upload that broke otherwise: the call was not sent
            result.completeExceptionally(new ProtocolException("cannot send the call's array arguments to the node; "
                    + "the call was not run: " + e, e));
            return result;
        }
        String what = "call " + call.op() + (call.target() instanceof String s ? " " + s : "");
        OrderedEvents events = call.options().onEvent() == null ? null
                : new OrderedEvents(call.options().onEvent(), callbacks, what);
        Pending<Object> pending = new Pending<>(result, what, v -> v, events);
        if (uploadedOn == null) {
            dispatch(pending, encoded.tail());
        } else {
            sendOn(uploadedOn, pending, encoded.tail());
        }
        // The call's PyObjects must outlive its writing: a Cleaner's release would be written first.
        java.lang.ref.Reference.reachabilityFence(call);
        return result;
    }

    /**
     * Uploads a call's large arguments on {@code c}, to {@code node} where the call goes (null: the gateway's
     * own); on a failure those already up are freed.
     */
    private static List<PyArray> uploadArguments(Connection c, List<Object> found, LargeArrays large, String node) {
        List<PyArray> uploaded = new ArrayList<>(found.size());
        try {
            for (Object array : found) {
                PyArray a = ArrayUploads.upload(c, ArrayUploads.ofArgument(array), true, node);
                uploaded.add(a);
                large.place(array, a);
            }
        } catch (RuntimeException e) {
            uploaded.forEach(PyArray::close);
            throw e;
        }
        return uploaded;
    }

    /** Sends a call that names arrays uploaded on {@code c}: there, or nowhere (they live and die with it). */
    private static <T> void sendOn(Connection c, Pending<T> call, byte[] tail) {
        try {
            if (!c.trySend(call, tail)) {
                call.fail(new ConnectionLostException("the connection to the gateway " + c.address + " ended after "
                        + "the call's arrays were uploaded, and they with it; the call was not run", false));
            }
        } catch (PyFleetException e) {
            call.fail(e);
        }
    }

    @Override
    public CompletableFuture<List<Outcome>> identicalAsync(Call call) {
        Map<String, Object> inner = wireOptions(call, false);
        List<Object> args = Arrays.asList(call.op(), call.target(), call.args().isEmpty() ? null : call.args(),
                call.kwargs().isEmpty() ? null : call.kwargs(), inner);
        Map<String, Object> outer = new HashMap<>(4);
        placement(call.options(), outer); // where it runs: the gateway's business, before the inner call's
        outer.put("each", true); // outcomes come one by one as events, each within a frame
        StreamedOutcomes items = new StreamedOutcomes();
        return request("identical", null, args, outer, items::result, "identical " + call.op(), null, items);
    }

    @Override
    public CompletableFuture<List<Outcome>> scatterAsync(String name, List<? extends List<?>> argumentSets,
            CallOptions options) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a function name is required");
        }
        Map<String, Object> opts = new HashMap<>(4);
        if (options != null) {
            if (options.timeout() != null) {
                opts.put("timeout_ms", Math.max(1, options.timeout().toMillis()));
            }
            placement(options, opts);
            if (options.onEvent() != null) {
                opts.put("events", true); // progress {done, total} of a scatter across a cluster
            }
        }
        OrderedEvents progress = options == null || options.onEvent() == null ? null
                : new OrderedEvents(options.onEvent(), callbacks, "scatter " + name);
        opts.put("each", true); // outcomes come one by one as events, each within a frame
        StreamedOutcomes items = new StreamedOutcomes();
        return request("scatter", name, List.of(List.copyOf(argumentSets)), opts, items::result, "scatter " + name,
                progress, items);
    }

    // Arrays go to the memory of the node this client is connected to, in chunks (ArrayUploads).
    @Override
    public PyArray array(double[] data, long... shape) {
        return upload(ArrayUploads.of(data, shape));
    }

    @Override
    public PyArray array(float[] data, long... shape) {
        return upload(ArrayUploads.of(data, shape));
    }

    @Override
    public PyArray array(long[] data, long... shape) {
        return upload(ArrayUploads.of(data, shape));
    }

    @Override
    public PyArray array(int[] data, long... shape) {
        return upload(ArrayUploads.of(data, shape));
    }

    @Override
    public PyArray array(short[] data, long... shape) {
        return upload(ArrayUploads.of(data, shape));
    }

    @Override
    public PyArray array(byte[] data, long... shape) {
        return upload(ArrayUploads.of(data, shape));
    }

    @Override
    public PyArray array(boolean[] data, long... shape) {
        return upload(ArrayUploads.of(data, shape));
    }

    @Override
    public PyArray array(DType dtype, ByteBuffer data, long... shape) {
        return upload(ArrayUploads.of(dtype, data, shape));
    }

    private PyArray upload(ArrayUploads.Data data) {
        return ArrayUploads.upload(connection(), data, false);
    }

    @Override
    public int poolSize() {
        return Fleet.join(request("stats", null, null, null, Replies::poolSize, "stats"));
    }

    @Override
    public void resize(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("a pool needs at least one worker, not " + workers);
        }
        Fleet.join(request("resize", null, List.of(workers), null, v -> v, "resize"));
    }

    @Override
    public List<NodeStatus> nodes() {
        return Fleet.join(request("cluster_status", null, null, null, Replies::nodes, "cluster status"));
    }

    @Override
    public PoolStats stats() {
        return Fleet.join(request("stats", null, null, null, Replies::stats, "stats"));
    }

    @Override
    public PoolInfo startPool(PoolSpec spec) {
        return Fleet.join(request(PoolWire.START, spec.name(), List.of(PoolWire.spec(spec)), onNode(spec.node()),
                PoolWire::info, "start pool " + spec.name()));
    }

    @Override
    public void resizePool(String node, String name, int workers) {
        PoolSpec.requireWorkers(workers);
        Fleet.join(request(PoolWire.RESIZE, PoolSpec.requireName(name), List.of(workers), onNode(node), v -> v,
                "resize pool " + name));
    }

    @Override
    public void stopPool(String node, String name) {
        Fleet.join(request(PoolWire.STOP, PoolSpec.requireName(name), null, onNode(node), v -> v, "stop pool " + name));
    }

    @Override
    public List<PoolInfo> pools(String node) {
        return Fleet.join(request(PoolWire.LIST, null, null, onNode(node), PoolWire::infos, "list pools"));
    }

    /** The gateway's opts that send a pool op to another node of the cluster. */
    private static Map<String, Object> onNode(String node) {
        return node == null ? null : Map.of("node", node);
    }

    /**
     * Releases every PyObject this client still holds (best effort, waiting briefly for the
     * node's answer), then closes the connection: calls still in flight fail with a
     * {@link FleetClosedException}; later calls are refused with one.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Connection c = current;
        if (c != null && c.isOpen()) {
            List<CompletableFuture<Object>> released = c.releaseAllLive();
            if (!released.isEmpty()) {
                try {
                    CompletableFuture.allOf(released.toArray(CompletableFuture[]::new))
                            .get(CLOSE_RELEASE_WAIT_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    log.debug("the final release on {} did not complete: {}", c.address, e.toString());
                }
            }
        }
        connectLock.lock();
        try {
            c = current;
            current = null;
        } finally {
            connectLock.unlock();
        }
        if (c != null) {
            c.die("the client was closed", null, p -> new FleetClosedException(
                    "the fleet was closed while the call was pending" + (p.written ? "; it may have run" : ""),
                    p.written));
        }
        timer.shutdownNow();
        // what is queued still runs; a continuation attached later runs on the thread attaching it
        callbacks.shutdown(1000);
    }

    /** The gateway this client is connected to, or null (diagnostics, tests). */
    String connectedAddress() {
        Connection c = current;
        return c != null && c.isOpen() ? c.address : null;
    }

    /** Handles held through the current connection (tests). */
    int liveHandles() {
        Connection c = current;
        return c == null ? 0 : c.liveHandles();
    }

    private <T> FleetFuture<T> request(String op, Object target, List<?> args, Map<String, ?> opts,
            Function<Object, T> decode, String what) {
        return request(op, target, args, opts, decode, what, null);
    }

    private <T> FleetFuture<T> request(String op, Object target, List<?> args, Map<String, ?> opts,
            Function<Object, T> decode, String what, OrderedEvents events) {
        return request(op, target, args, opts, decode, what, events, null);
    }

    private <T> FleetFuture<T> request(String op, Object target, List<?> args, Map<String, ?> opts,
            Function<Object, T> decode, String what, OrderedEvents events, StreamedOutcomes items) {
        FleetFuture<T> result = new FleetFuture<>(callbacks, false);
        EncodedCall encoded;
        try {
            encoded = Messages.encodeCall(op, target, args, null, opts);
        } catch (PyFleetException e) {
            result.completeExceptionally(e);
            return result;
        }
        dispatch(new Pending<>(result, what, decode, events, items), encoded.tail());
        java.lang.ref.Reference.reachabilityFence(args);
        return result;
    }



    /**
     * Sends a call on the current connection, connecting first if there is none. A call
     * that found its connection dead before a byte of it was written is tried once more
     * on a new one; a written call is never resent.
     */
    private <T> void dispatch(Pending<T> call, byte[] tail) {
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                if (connection().trySend(call, tail)) {
                    return;
                }
            } catch (PyFleetException e) {
                call.fail(e);
                return;
            }
        }
        call.fail(new ConnectionLostException("the connection to the gateway broke twice before the call could be "
                + "sent; it was not run", false));
    }

    /** The protocol's opts for a worker op: the worker's own, plus the gateway's {@code timeout_ms} and {@code events}. */
    static Map<String, Object> wireOptions(Call call, boolean withEvents) {
        CallOptions o = call.options();
        Map<String, Object> opts = Messages.workerOptions(call);
        if (opts == null) {
            opts = new HashMap<>(4);
        }
        if (o.timeout() != null) {
            opts.put("timeout_ms", Math.max(1, o.timeout().toMillis()));
        }
        if (withEvents && o.onEvent() != null) {
            opts.put("events", true);
        }
        placement(o, opts);
        return opts.isEmpty() ? null : opts;
    }

    /** The gateway's placement opts: {@code node}, {@code pool}, {@code idempotent}. */
    static void placement(CallOptions o, Map<String, Object> opts) {
        if (o.node() != null) {
            opts.put("node", o.node());
        }
        if (o.pool() != null) {
            opts.put("pool", o.pool());
        }
        if (o.idempotent()) {
            opts.put("idempotent", true);
        }
    }

    /** The open connection, or a new one. */
    private Connection connection() {
        Connection c = current;
        if (c != null && c.isOpen()) {
            return c;
        }
        if (closed.get()) {
            throw new FleetClosedException("the fleet is closed; the call was not run", false);
        }
        connectLock.lock();
        try {
            c = current;
            if (c != null && c.isOpen()) {
                return c;
            }
            if (closed.get()) {
                throw new FleetClosedException("the fleet is closed; the call was not run", false);
            }
            long now = System.nanoTime();
            if (lastFailure != null && now - retryAtNanos < 0) {
                long waitMs = TimeUnit.NANOSECONDS.toMillis(retryAtNanos - now);
                if (lastFailure instanceof AuthenticationException) {
                    throw new AuthenticationException(lastFailure.getMessage());
                }
                throw new ConnectionLostException("not connected to any gateway of " + options.addresses()
                        + " (next attempt in " + waitMs + " ms; nothing was sent); last failure: "
                        + lastFailure.getMessage(), false, lastFailure);
            }
            try {
                c = connectRound();
            } catch (PyFleetException e) {
                lastFailure = e;
                retryAtNanos = now + backoffNanos;
                backoffNanos = Math.min(backoffNanos * 2, options.reconnectMax().toNanos());
                throw e;
            }
            lastFailure = null;
            backoffNanos = options.reconnectInitial().toNanos();
            arrayByValueMax = c.arrayByValueMax;
            current = c;
            return c;
        } finally {
            connectLock.unlock();
        }
    }

    /** One round over the addresses: the first that connects and authenticates wins. */
    private Connection connectRound() {
        List<Exception> failures = new ArrayList<>();
        for (String address : options.addresses()) {
            try {
                return Connection.open(address, options, timer);
            } catch (AuthenticationException e) {
                throw e;
            } catch (IOException | PyFleetException e) {
                log.debug("cannot connect to gateway {}: {}", address, e.toString());
                failures.add(e);
            } catch (RuntimeException e) {
                log.debug("cannot connect to gateway {}", address, e);
                failures.add(e);
            }
        }
        Exception last = failures.get(failures.size() - 1);
        ConnectionLostException lost = new ConnectionLostException("cannot reach any gateway of "
                + options.addresses() + " (nothing was sent); last failure: " + last, false, last);
        for (int i = 0; i < failures.size() - 1; i++) {
            lost.addSuppressed(failures.get(i));
        }
        throw lost;
    }
}
