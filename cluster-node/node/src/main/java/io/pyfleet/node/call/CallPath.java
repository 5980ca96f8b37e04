package io.pyfleet.node.call;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.ConnectionLostException;
import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.OverloadedException;
import io.pyfleet.client.PoolFailedException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.client.internal.CallbackExecutor;
import io.pyfleet.client.internal.FleetFuture;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.OrderedEvents;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.worker.ChannelListener;
import io.pyfleet.node.worker.EventSink;
import io.pyfleet.node.worker.ExitStatus;
import io.pyfleet.node.worker.PendingCall;
import io.pyfleet.node.worker.WorkerProcess;
import io.pyfleet.protocol.EncodedCall;
import io.pyfleet.protocol.Frames;
import io.pyfleet.protocol.LargeArrays;
import io.pyfleet.protocol.Messages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's one call path: every call, whoever makes it, is validated and encoded on the
 * caller's thread, routed by the one {@link Routing}, and written into a worker's pipe by
 * the caller's thread (or, when every worker's pipeline is full, queued and written by the
 * first worker that frees a place). Its outcome completes a {@link FleetFuture}, so no
 * user code runs on a reader thread. No actor, ask or scheduled task is on this path; the
 * pool's actors only tell it which workers serve ({@link #workerUp}, {@link #workerDown},
 * {@link #drain}) and whether the pool failed.
 *
 * <p>At most once: only a call never written to a worker, or written but never started
 * (queued in the pipe of a worker that died serving another), moves to another worker;
 * calls bound to one worker (on its objects, a release, a part of an identical call)
 * never move. A call that may have run fails with an error that says so.
 */
public final class CallPath implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CallPath.class);

    private final String node;
    private final int depth;
    private final int queueBound;
    private final int maxFrame;
    private final Duration defaultTimeout;
    private final Duration scatterTimeout;
    private final Routing routing;
    private final CallbackExecutor callbacks;
    private final ScheduledExecutorService jobTimers;
    private final Function<Handle, Object> adopt;
    private final CallerArrays callerArrays = new CallerArrays();

    /** Guards changes of the lane arrays. */
    private final Object lock = new Object();
    private final NodeQueue queue;
    /** Lanes that take unbound calls. */
    private volatile Lane[] open = new Lane[0];
    /** The current lane of every worker slot, serving or draining: where bound calls go. */
    private volatile Lane[] current = new Lane[0];
    private volatile String failed;
    private volatile boolean closed;
    private volatile Consumer<String> onDrained = id -> { };
    /** Worker processes that may still be alive, so close can wait for them. */
    private final java.util.Set<WorkerProcess> everStarted = new java.util.HashSet<>();

    public CallPath(PyfleetSettings settings) {
        this.node = settings.handleNode();
        this.depth = settings.pool().pipelineDepth();
        this.queueBound = settings.pool().queueBound();
        this.maxFrame = settings.worker().maxFrameSize();
        this.defaultTimeout = settings.pool().callTimeout();
        this.scatterTimeout = settings.scatter().jobTimeout();
        this.routing = new Routing(settings.pool().strategy());
        this.callbacks = new CallbackExecutor("pyfleet-callback-" + node);
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "pyfleet-jobs-" + node);
            t.setDaemon(true);
            return t;
        });
        timers.setRemoveOnCancelPolicy(true);
        this.jobTimers = timers;
        this.queue = new NodeQueue(depth, queueBound, callbacks, () -> open);
        queue.onLaneClosed(this::closeLane);
        this.adopt = callerArrays.adopter(this);
    }

    /** Lets the node's own callers receive large arrays as {@code PyArray}s; set once, before any call. */
    public void useArrays(io.pyfleet.node.arrays.NodeArrays nodeArrays) {
        callerArrays.use(nodeArrays);
    }

    /** What a worker's replies turn handles into: a {@code PyObject} released through this path. */
    public Function<Handle, Object> adopter() {
        return adopt;
    }

    /** Who is told when a draining worker has no call left. */
    public void onDrained(Consumer<String> listener) {
        this.onDrained = listener;
    }

    // ---------------------------------------------------------------------------------- calls

    /** Runs a call somewhere in the pool (or on the owner of its handles). */
    public CompletableFuture<Object> submit(Call call) {
        return submit(call, false);
    }

    /** {@link #submit(Call)}; {@code asArray}: the result comes back as a {@code PyArray} whatever its size. */
    public CompletableFuture<Object> submit(Call call, boolean asArray) {
        FleetFuture<Object> result = new FleetFuture<>(callbacks);
        PendingCall pending;
        try {
            pending = prepare(call, result, null, 0, PendingCall.Decoding.ADOPT, asArray, callerArrays.large());
        } catch (PyFleetException e) {
            result.completeExceptionally(e);
            return result;
        }
        route(pending, true);
        // The call's PyObjects must outlive its writing: a Cleaner's release could go first.
        java.lang.ref.Reference.reachabilityFence(call);
        return result;
    }

    /** The same call on every serving worker: one outcome per worker, in worker order. */
    public CompletableFuture<List<Outcome>> identical(Call call) {
        return identical(call, PendingCall.Decoding.ADOPT, true, null, null);
    }

    /**
     * {@code each}: when not null, takes each outcome as it comes; {@code parts}: when not null, receives each
     * worker's call as it is sent (for {@link #identicalJob}).
     */
    private CompletableFuture<List<Outcome>> identical(Call call, PendingCall.Decoding decoding, boolean mayBlock,
            java.util.function.BiConsumer<Integer, Outcome> each, List<PendingCall> parts) {
        Lane[] serving = open;
        if (serving.length == 0) {
            PyFleetException why = failed != null ? new PoolFailedException(failed)
                    : closed ? new FleetClosedException("the fleet is closed", false)
                    : new WorkerLostException("no worker is serving", false);
            FleetFuture<List<Outcome>> none = new FleetFuture<>(callbacks);
            none.complete(List.of(Outcome.failed(why)));
            return none;
        }
        Gather gather = new Gather(serving.length, callbacks, each);
        for (int i = 0; i < serving.length; i++) {
            // A plain future: gathering is the node's own cheap code and may run on a reader.
            CompletableFuture<Object> part = new CompletableFuture<>();
            gather.add(i, part);
            try {
                PendingCall p = prepare(call, part, serving[i].workerId, serving[i].generation, decoding, false, null);
                if (parts != null) {
                    parts.add(p);
                }
                route(p, mayBlock);
            } catch (PyFleetException e) {
                part.completeExceptionally(e);
            }
        }
        return gather.result();
    }

    /** Scatter/gather: outcomes in input order, errors in place. */
    public CompletableFuture<List<Outcome>> scatter(String function, List<? extends List<?>> argumentSets,
            CallOptions options) {
        return scatter(function, argumentSets, options, PendingCall.Decoding.ADOPT, true);
    }

    /**
     * {@link #scatter} for the gateway: values keep their handles plain (the remote client
     * owns them) and nothing blocks the submitting thread.
     */
    public CompletableFuture<List<Outcome>> scatter(String function, List<? extends List<?>> argumentSets,
            CallOptions options, PendingCall.Decoding decoding, boolean mayBlock) {
        return scatterJob(function, argumentSets, options, decoding, mayBlock, null).result();
    }

    /**
     * Work of several calls the gateway can cancel when its client's connection ends.
     *
     * @param result its outcomes
     * @param cancel cancels what has not ended: see {@link #cancel(PendingCall)}
     */
    public record Job(CompletableFuture<List<Outcome>> result, Runnable cancel) {
    }

    /**
     * {@link #scatter} as a {@link Job}; with {@code each}, its outcomes go there as they come, in no particular
     * order (the gateway streams them), and the result says only that every item ended, with no values.
     */
    public Job scatterJob(String function, List<? extends List<?>> argumentSets, CallOptions options,
            PendingCall.Decoding decoding, boolean mayBlock, java.util.function.BiConsumer<Integer, Outcome> each) {
        ScatterJob job = new ScatterJob(this, function, List.copyOf(argumentSets), options, scatterTimeout,
                Math.max(1, open.length), decoding, mayBlock, each);
        job.start();
        return new Job(job.result(), job::cancel);
    }

    /**
     * A call from the gateway, already decoded from a client's frame: checked and encoded on
     * this thread, written without ever blocking it. {@code result} is a plain future that the
     * worker's reader completes (with a {@link io.pyfleet.node.worker.RawValue} for
     * {@code RAW}); {@code events} receives the call's events on that reader, in order. The gateway
     * sets {@code opts.arrays} itself (never a client) and takes over the references that come back.
     */
    public PendingCall submitRemote(String op, Object target, List<?> args, Map<String, ?> kwargs,
            Map<String, ?> opts, Duration timeout, CompletableFuture<Object> result, EventSink events,
            PendingCall.Decoding decoding) {
        PendingCall pending;
        try {
            pending = prepare(op, target, args, kwargs, opts, timeout == null ? defaultTimeout : timeout, result,
                    null, 0, events).decoding(decoding);
        } catch (PyFleetException e) {
            result.completeExceptionally(e);
            return null;
        }
        route(pending, false);
        return pending;
    }

    /**
     * Cancels a call nobody waits for (its client's connection ended): one still queued fails at once as not run;
     * one written to a worker is stopped by killing that worker ({@link PendingCall#cancel}). Never blocks.
     */
    public void cancel(PendingCall call) {
        call.cancel();
        if (queue.remove(call)) {
            call.failNow(cancelledNotRun());
        }
    }

    private static PyFleetException cancelledNotRun() {
        return new ConnectionLostException("the call was cancelled before it started: the connection of its client "
                + "ended; it was not run", false);
    }

    /** {@link #identical} for the gateway: handles stay plain; nothing blocks this thread. */
    public CompletableFuture<List<Outcome>> identicalRemote(Call call) {
        return identical(call, PendingCall.Decoding.PLAIN_HANDLES, false, null, null);
    }

    /**
     * {@link #identicalRemote} whose outcomes go to {@code each} as they come (see {@link #scatter}), as a
     * {@link Job} the gateway cancels when its client's connection ends.
     */
    public Job identicalJob(Call call, java.util.function.BiConsumer<Integer, Outcome> each) {
        List<PendingCall> parts = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<List<Outcome>> result = identical(call, PendingCall.Decoding.PLAIN_HANDLES, false, each,
                parts);
        return new Job(result, () -> parts.forEach(this::cancel));
    }

    /** Drops a handle in its owner; written behind every call this thread made before on it. */
    public void release(Handle handle) {
        release(handle, true);
    }

    /** {@link #release} from a thread that must never block (the gateway's, a reader). */
    public void releaseWithoutBlocking(Handle handle) {
        release(handle, false);
    }

    private void release(Handle handle, boolean mayBlock) {
        if (closed || !node.equals(handle.node())) {
            return;
        }
        FleetFuture<Object> ignored = new FleetFuture<>(callbacks);
        EncodedCall encoded = Messages.encodeCall("release", null, List.of(handle.id()), null, null);
        PendingCall call = new PendingCall(encoded, 0, handle.worker(), handle.generation(), ignored, null);
        route(call, mayBlock);
    }

    /**
     * Encodes a call on the caller's thread: bad arguments fail here, before any worker sees them.
     * {@code large}: Java arrays over its size are copied into node memory and go by reference
     * (null: everything by value).
     */
    PendingCall prepare(Call call, CompletableFuture<Object> result, String boundWorker, long generation,
            PendingCall.Decoding decoding, boolean asArray, LargeArrays large) {
        Consumer<Object> onEvent = call.options().onEvent();
        EventSink sink = onEvent == null ? null
                : EventSink.ordered(new OrderedEvents(onEvent, callbacks, "call " + call.op() + " " + call.target()));
        return prepare(call.op(), call.target(), call.args(), call.kwargs(), callerArrays.opts(call, decoding, asArray),
                timeoutOf(call.options()), result, boundWorker, generation, sink, large).decoding(decoding);
    }

    PendingCall prepare(String op, Object target, List<?> args, Map<String, ?> kwargs, Map<String, ?> opts,
            Duration timeout, CompletableFuture<Object> result, String boundWorker, long generation,
            EventSink sink) {
        return prepare(op, target, args, kwargs, opts, timeout, result, boundWorker, generation, sink, null);
    }

    private PendingCall prepare(String op, Object target, List<?> args, Map<String, ?> kwargs, Map<String, ?> opts,
            Duration timeout, CompletableFuture<Object> result, String boundWorker, long generation,
            EventSink sink, LargeArrays large) {
        // The arrays a call names, and the copies of its large arguments, live until the node is done with
        // it: not until its caller stops waiting (a cancel), since a queued call is still written and read.
        CompletableFuture<Void> ended = new CompletableFuture<>();
        try {
            callerArrays.pin(target, args, kwargs, ended);
            EncodedCall encoded = Messages.encodeCall(op, target, args, kwargs, opts, large);
            List<Object> found = large == null ? List.of() : large.takeFound();
            if (!found.isEmpty()) {
                // one copy each into node memory; the worker maps it
                callerArrays.copyIn(found, large, ended);
                encoded = Messages.encodeCall(op, target, args, kwargs, opts, large);
            }
            if (encoded.otherOwner() != null) {
                throw new StaleHandleException("one call cannot combine objects of different workers ("
                        + encoded.owner().worker() + " and " + encoded.otherOwner().worker()
                        + "): pass one of them by value");
            }
            if (encoded.tail().length + Frames.REQUEST_HEAD_MAX > maxFrame) {
                throw new Frames.FrameTooLargeException(encoded.tail().length + Frames.REQUEST_HEAD_MAX, maxFrame,
                        Frames.WORKER_SETTING);
            }
            return new PendingCall(encoded, timeout == null ? 0 : timeout.toNanos(), boundWorker, generation, result,
                    sink).onEnd(() -> ended.complete(null));
        } catch (RuntimeException | Error e) {
            ended.complete(null); // never sent: nothing will read them
            throw e;
        }
    }


    private Duration timeoutOf(CallOptions options) {
        return options.timeout() != null ? options.timeout() : defaultTimeout;
    }

    CallbackExecutor callbacks() {
        return callbacks;
    }

    ScheduledExecutorService jobTimers() {
        return jobTimers;
    }

    /**
     * Sends a call on its way. {@code mayBlock}: this thread may block writing into a full
     * pipe (a caller's thread); a reader thread passes false and the write is deferred.
     */
    void route(PendingCall call, boolean mayBlock) {
        if (call.isCancelled()) {
            call.failNow(cancelledNotRun()); // back from a worker that died before starting it: never rerun
            return;
        }
        if (closed) {
            call.failNow(new FleetClosedException("the fleet is closed; the call was not run", false));
            return;
        }
        if (call.isBound()) {
            routeBound(call, mayBlock);
            return;
        }
        String whyFailed = failed;
        if (whyFailed != null) {
            call.failNow(new PoolFailedException(whyFailed));
            return;
        }
        if (queue.size() == 0) {
            Lane lane = routing.pick(open, depth);
            if (lane != null) {
                write(lane, call, mayBlock);
                return;
            }
        }
        enqueue(call, mayBlock);
    }

    private void routeBound(PendingCall call, boolean mayBlock) {
        Handle owner = call.owner();
        if (owner != null && !node.equals(owner.node())) {
            call.failNow(new StaleHandleException("handle " + owner.id() + " belongs to node " + owner.node()
                    + ", not " + node));
            return;
        }
        Lane lane = Routing.ofWorker(current, call.boundWorker());
        if (lane == null || lane.generation != call.boundGeneration() || lane.draining || !lane.process.isAlive()) {
            call.failNow(boundGone(call, lane));
            return;
        }
        lane.inFlight.incrementAndGet();
        write(lane, call, mayBlock);
    }

    private PyFleetException boundGone(PendingCall call, Lane lane) {
        Handle h = call.owner();
        if (h == null) {
            return new WorkerLostException("worker " + call.boundWorker() + " (generation " + call.boundGeneration()
                    + ") is not serving; the call was not run", false);
        }
        if (lane == null) {
            return new StaleHandleException("handle " + h.id() + " (" + h.type() + ") belongs to worker " + h.worker()
                    + ", which is not serving: the object is gone");
        }
        if (lane.draining) {
            return new StaleHandleException("handle " + h.id() + " belongs to worker " + h.worker()
                    + ", which is being removed from the pool");
        }
        return new StaleHandleException("handle " + h.id() + " (" + h.type() + ") belongs to generation "
                + h.generation() + " of worker " + h.worker() + ", which was restarted: the object is gone");
    }

    private void write(Lane lane, PendingCall call, boolean mayBlock) {
        if (mayBlock) {
            lane.process.send(call);
        } else {
            lane.process.leave(call);
            if (!WriteBatch.holds(lane)) {
                lane.process.drainWithoutBlocking();
            }
        }
    }

    /**
     * Runs {@code submissions} (non-blocking submits such as {@link #submitRemote}) with their
     * writes held back, then writes each worker's share at once ({@link WriteBatch}).
     */
    public void batch(Runnable submissions) {
        WriteBatch.run(submissions);
    }

    /** A call that never started: unbound ones go to another worker, bound ones fail. */
    private void notStarted(PendingCall call, String why) {
        if (call.isBound()) {
            call.failNow(call.owner() != null
                    ? new StaleHandleException("the worker holding the object is gone (" + why
                            + "); the call was not run")
                    : new WorkerLostException(why + "; the call was not run", false));
            return;
        }
        requeue(List.of(call));
    }

    private void enqueue(PendingCall call, boolean mayBlock) {
        if (!queue.offer(call, mayBlock)) {
            call.failNow(new OverloadedException("the node queue is full (" + queueBound
                    + " calls waiting, pyfleet.pool.queue-bound); the call was refused and not run. Retry it later, "
                    + "keep fewer calls in flight (wait for some before submitting more), add workers "
                    + "(pyfleet.pool.size, Fleet.resize) or raise pyfleet.pool.queue-bound"));
            return;
        }
        failQueuedIfStopped();
    }

    /** A call queued while the fleet closed or the pool failed must not wait there unseen. */
    private void failQueuedIfStopped() {
        if (closed) {
            FleetClosedException notRun = new FleetClosedException("the fleet closed before this call ran", false);
            queue.takeAll().forEach(c -> c.failNow(notRun));
        } else if (failed != null) {
            PoolFailedException error = new PoolFailedException(failed);
            queue.takeAll().forEach(c -> c.failNow(error));
        }
    }

    /** Calls that never started go back to the front of the node queue, unless nothing can run them. */
    private void requeue(List<PendingCall> calls) {
        if (calls.stream().anyMatch(PendingCall::isCancelled)) {
            calls.stream().filter(PendingCall::isCancelled).forEach(c -> c.failNow(cancelledNotRun()));
            calls = calls.stream().filter(c -> !c.isCancelled()).toList();
        }
        if (closed || failed != null) {
            PyFleetException why = closed ? new FleetClosedException("the fleet is closed; the call was not run", false)
                    : new PoolFailedException(failed);
            calls.forEach(c -> c.failNow(why));
            return;
        }
        queue.putBack(calls);
        failQueuedIfStopped();
    }

    // ---------------------------------------------------------------------------------- the pool's news

    /** A worker generation serves: it takes calls from now on. */
    public void workerUp(String workerId, long generation, WorkerProcess process, Lane.Counters counters) {
        Lane lane = new Lane(workerId, generation, process, counters);
        process.listen(new LaneListener(lane));
        synchronized (lock) {
            everStarted.removeIf(p -> !p.isAlive());
            everStarted.add(process);
            current = with(without(current, workerId), lane);
            open = with(without(open, workerId), lane);
            failed = null;
        }
        if (closed) {
            process.abandonAll(new FleetClosedException("the fleet is closed", false));
            return;
        }
        queue.laneOpened(lane);
    }

    /** A worker generation is gone (its process died or was stopped). */
    public void workerDown(String workerId, long generation) {
        synchronized (lock) {
            for (Lane l : current) {
                if (l.workerId.equals(workerId) && l.generation == generation) {
                    l.open = false;
                    current = without(current, workerId);
                    open = without(open, workerId);
                }
            }
        }
    }

    /** A lane whose channel refuses calls (closing after a timeout or kill) leaves the routing at once. */
    private void closeLane(Lane lane) {
        synchronized (lock) {
            lane.open = false;
            open = java.util.Arrays.stream(open).filter(l -> l != lane).toArray(Lane[]::new);
        }
    }

    /** A shrink removes this worker: it takes no new calls and reports when its calls have ended. */
    public void drain(String workerId) {
        Lane lane;
        synchronized (lock) {
            lane = Routing.ofWorker(current, workerId);
            open = without(open, workerId);
        }
        if (lane == null) {
            onDrained.accept(workerId);
            return;
        }
        lane.open = false;
        lane.draining = true;
        reportIfDrained(lane);
    }

    private void reportIfDrained(Lane lane) {
        if (lane.draining && lane.inFlight.get() <= 0 && lane.drainReported.compareAndSet(false, true)) {
            onDrained.accept(lane.workerId);
        }
    }

    /** The pool gave up: waiting calls fail, new ones fail until it recovers. */
    public void poolFailed(String reason) {
        failed = reason;
        PoolFailedException error = new PoolFailedException(reason);
        queue.takeAll().forEach(c -> c.failNow(error));
    }

    /** After the cool-down the pool tries again: calls queue for the workers it starts. */
    public void poolRecovering() {
        failed = null;
    }

    public int queued() {
        return queue.size();
    }

    /** Calls in flight on a worker's current generation (0 if it has none). */
    public int inFlight(String workerId) {
        Lane lane = Routing.ofWorker(current, workerId);
        return lane == null ? 0 : Math.max(0, lane.inFlight.get());
    }

    /**
     * Ends every pending call with a typed error at once: queued ones were never run,
     * those in a worker's pipe may have; new calls are refused. The workers themselves
     * are stopped by the actors.
     */
    @Override
    public void close() {
        List<PendingCall> waiting;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        waiting = queue.takeAll();
        FleetClosedException notRun = new FleetClosedException("the fleet closed before this call ran", false);
        waiting.forEach(c -> c.failNow(notRun));
        for (Lane lane : current) {
            lane.process.abandonAll(new FleetClosedException("the fleet closed while this call was on worker "
                    + lane.workerId + "; it may have run", true));
        }
        jobTimers.shutdownNow();
    }

    /** Waits until every worker process this path knew has exited (killing stragglers); for shutdown. */
    public void awaitWorkersGone(Duration limit) {
        List<WorkerProcess> processes;
        synchronized (lock) {
            processes = new ArrayList<>(everStarted);
            everStarted.clear();
        }
        long deadline = System.nanoTime() + limit.toNanos();
        for (WorkerProcess p : processes) {
            p.awaitExit(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
    }

    /** Lets the callback threads finish what is queued, then end; after the workers stopped. */
    public void shutdownCallbacks(long millis) {
        callbacks.shutdown(millis);
    }

    private static Lane[] with(Lane[] lanes, Lane lane) {
        Lane[] out = Arrays.copyOf(lanes, lanes.length + 1);
        out[lanes.length] = lane;
        return out;
    }

    private static Lane[] without(Lane[] lanes, String workerId) {
        return Arrays.stream(lanes).filter(l -> !l.workerId.equals(workerId)).toArray(Lane[]::new);
    }

    /** Hears one lane's channel: counts, refills and requeues. Runs on its reader thread. */
    private final class LaneListener implements ChannelListener {
        private final Lane lane;

        LaneListener(Lane lane) {
            this.lane = lane;
        }

        @Override
        public void callEnded(WorkerProcess worker, PendingCall call, long busyNanos, boolean failed) {
            lane.inFlight.decrementAndGet();
            lane.counters.calls.increment();
            lane.counters.busyNanos.add(busyNanos);
            if (failed) {
                lane.counters.errors.increment();
            }
            // Refill at half depth, a batch at a time: the worker then reads many requests per
            // read and the pipe sees one write per batch, not one per call.
            queue.callEnded(lane);
            reportIfDrained(lane);
        }

        @Override
        public void rejected(WorkerProcess worker, List<PendingCall> calls) {
            closeLane(lane); // a channel that refused once never takes calls again
            lane.inFlight.addAndGet(-calls.size());
            for (PendingCall call : calls) {
                notStarted(call, "worker " + lane.workerId + " stopped taking calls");
            }
            reportIfDrained(lane);
        }

        @Override
        public void outboxWaiting(WorkerProcess worker) {
            callbacks.execute(worker::flushOutbox);
        }

        @Override
        public void died(WorkerProcess worker, ExitStatus status, List<PendingCall> notStarted) {
            lane.open = false;
            workerDown(lane.workerId, lane.generation);
            lane.inFlight.addAndGet(-notStarted.size());
            String why = "worker " + worker.describe() + " died (" + status.describe() + ") before the call started";
            List<PendingCall> movable = new ArrayList<>();
            for (PendingCall call : notStarted) {
                if (call.isBound()) {
                    notStarted(call, why);
                } else {
                    movable.add(call);
                }
            }
            if (!movable.isEmpty()) {
                log.debug("{} call(s) queued on dead worker {} go to another worker", movable.size(), lane.workerId);
                requeue(movable);
            }
            reportIfDrained(lane);
        }
    }
}
