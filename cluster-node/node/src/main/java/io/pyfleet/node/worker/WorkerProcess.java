package io.pyfleet.node.worker;

import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.ConnectionLostException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.client.internal.FleetFuture;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import io.pyfleet.protocol.Frames;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Python worker process and its call channel. Calls are written by the threads that
 * submit them (many may be in flight; the worker serves them strictly in order); one
 * reader thread per worker matches replies to calls and completes them, and never blocks
 * on anything but the pipe: it runs no user code (futures are {@link FleetFuture}s, events
 * go to an {@link EventSink}) and writes nothing.
 *
 * <p>Outcomes, each exactly once: a reply or error completes its call; the watchdog fails
 * a call that overran its timeout at once, closes the channel and kills the worker (a late
 * reply is then dropped); when the process dies, the call it was serving fails with a
 * {@link WorkerLostException} that says it may have run, and the calls queued behind it
 * are handed to the {@link ChannelListener} as never started. A reply that cannot be decoded
 * fails its own call with a {@link ProtocolException}; the worker keeps serving.
 */
public final class WorkerProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerProcess.class);

    private enum State { OPEN, CLOSING, DEAD }

    private final WorkerOptions options;
    private final Process process;
    private final InputStream in;
    private final WorkerOutput output;
    private final StderrTail stderr;
    private final Function<Handle, Object> adopt;
    private volatile ChannelListener listener;
    private final RequestWriter writer;
    /** Guards {@link #inFlight}, {@link #state} and {@link #nextId}: what the reader and watchdog decide on. */
    private final Object lock = new Object();
    private final ArrayDeque<PendingCall> inFlight = new ArrayDeque<>();
    private State state = State.OPEN;
    private long nextId = 1;
    /** Bytes of the frames written and not yet answered: an upper bound of what sits in the pipe. */
    private long unansweredBytes;
    private final CompletableFuture<Hello> hello = new CompletableFuture<>();
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
    private volatile String deathReason;
    /** Set once a call that is not decoded the default way was written: the reader then looks at the head first. */
    private volatile boolean othersDecoded;
    /** The watchdog saw the process gone while its output was still open (a child held it). */
    private boolean exitNoticed;
    /**
     * The call the watchdog timed out answered before the kill landed: the worker had moved on to the
     * next call, so that one is not "never started" but may have run (guarded by {@link #lock}).
     */
    private boolean answeredAfterTimeout;

    WorkerProcess(WorkerOptions options, Process process, Function<Handle, Object> adopt) {
        this.options = options;
        this.process = process;
        this.adopt = adopt;
        this.writer = new RequestWriter(new BufferedOutputStream(process.getOutputStream(), 1 << 16),
                options.maxFrame(), options.workerId(), this::register,
                rejected -> listener.rejected(this, rejected), () -> listener.outboxWaiting(this));
        this.in = new BufferedInputStream(process.getInputStream(), 1 << 18);
        this.output = new WorkerOutput(options.workerId());
        this.stderr = new StderrTail(process.getErrorStream(), output, "pyfleet-stderr-" + options.workerId());
        this.listener = new ChannelListener() { };
    }

    /** Starts a worker whose handles stay plain {@link Handle}s (tests, tools). */
    public static WorkerProcess start(WorkerOptions options) {
        return start(options, null);
    }

    /**
     * Starts a worker and waits for its hello.
     *
     * @param adopt turns each handle in a reply or event into what the caller should see
     *              (the node's releasing {@code PyObject}); null keeps {@link Handle}s
     * @throws WorkerStartException when the interpreter is missing, lacks msgpack, dies on
     *     start-up or does not say hello within the start timeout
     */
    public static WorkerProcess start(WorkerOptions options, Function<Handle, Object> adopt) {
        return WorkerLauncher.launch(options, adopt);
    }

    /** Reads its stderr and its replies from now on; for {@link WorkerLauncher#launch}. */
    void startReading() {
        stderr.start();
        Thread reader = new Thread(this::readLoop, "pyfleet-reader-" + options.workerId());
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits for the hello; on failure the worker is killed and the failure says why. */
    void awaitHello() {
        try {
            hello.get(options.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            kill("no hello within the start timeout");
            throw new WorkerStartException("worker " + options.workerId() + " (" + options.interpreter()
                    + ") did not start within " + options.startTimeout() + stderr.summary());
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PyFleetException p ? p
                    : new WorkerStartException("worker " + options.workerId() + " failed to start", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill("interrupted while starting");
            throw new WorkerStartException("interrupted while starting worker " + options.workerId());
        }
    }

    /** Who hears about ended calls and the worker's death; set before calls are written. */
    public void listen(ChannelListener newListener) {
        this.listener = newListener;
    }

    // ---------------------------------------------------------------------------------- writing

    /**
     * Sends a call to the worker; see {@link RequestWriter#send}. A call that finds the
     * channel closing or dead is not written (it never started) and goes to
     * {@link ChannelListener#rejected}. Never called on a reader thread.
     */
    public void send(PendingCall call) {
        writer.send(call);
    }

    /** {@link #send} for several calls, in order. */
    public void sendAll(List<PendingCall> calls) {
        writer.sendAll(calls);
    }

    /**
     * For a thread that must never block (the gateway's, a reader): leaves a call in the outbox;
     * {@link #drainWithoutBlocking} then writes what surely fits in the pipe, and a callback thread
     * the rest. Through the outbox either way, so calls from one thread keep their order.
     */
    public void leave(PendingCall call) {
        writer.leave(call);
    }

    /** Writes what waits in the outbox as far as it surely fits; never blocks (see {@link #leave}). */
    public void drainWithoutBlocking() {
        writer.drainWithoutBlocking(this::nonBlockingRoom);
    }

    /** For a reader thread; see {@link RequestWriter#tryWriteNow}. */
    public int tryWriteNow(List<PendingCall> calls) {
        return writer.tryWriteNow(calls, this::nonBlockingRoom);
    }

    /** False once the channel takes no more calls (closing after a timeout or kill, or dead). */
    public boolean accepting() {
        synchronized (lock) {
            return state == State.OPEN;
        }
    }

    /** Writes what waits in the outbox; for a thread that may block (after {@link ChannelListener#outboxWaiting}). */
    public void flushOutbox() {
        writer.drainOutbox();
    }

    /** The frame size of a call, length prefix included. */
    public static int frameBytes(PendingCall call) {
        return Frames.HEADER_SIZE + Frames.REQUEST_HEAD_MAX + call.tail().length;
    }

    /** How many more request bytes a write could add now without any chance of blocking. */
    public long nonBlockingRoom() {
        synchronized (lock) {
            return RequestWriter.NEVER_BLOCKING_BYTES - unansweredBytes;
        }
    }

    private boolean register(PendingCall call) {
        if (call.decoding() != PendingCall.Decoding.ADOPT) {
            othersDecoded = true;
        }
        synchronized (lock) {
            if (state != State.OPEN) {
                return false;
            }
            call.id = nextId++;
            call.frameBytes = frameBytes(call);
            unansweredBytes += call.frameBytes;
            if (inFlight.isEmpty()) {
                call.startedNanos = System.nanoTime();
            }
            inFlight.addLast(call);
            return true;
        }
    }

    /** A call for tools and tests: encoded here, written on this thread; never blocks on the answer. */
    public CompletableFuture<Object> submit(String op, Object target, List<?> args, Map<String, ?> kwargs,
            Map<String, ?> opts) {
        return submit(op, target, args, kwargs, opts, null, null);
    }

    /**
     * @param onEvent receives the call's events, in order, on the callback executor (may be null)
     * @param timeout how long the call may run once the worker starts it (null for none)
     */
    public CompletableFuture<Object> submit(String op, Object target, List<?> args, Map<String, ?> kwargs,
            Map<String, ?> opts, Consumer<Object> onEvent, Duration timeout) {
        return DirectCalls.submit(this, op, target, args, kwargs, opts, onEvent, timeout);
    }

    /** A call waited for on this thread; failures are thrown as their typed exceptions. */
    public Object call(String op, Object target, List<?> args, Map<String, ?> kwargs, Map<String, ?> opts) {
        return io.pyfleet.client.Fleet.join(submit(op, target, args, kwargs, opts));
    }

    // ---------------------------------------------------------------------------------- reading

    private void readLoop() {
        try {
            while (true) {
                byte[] frame = Frames.readFrame(in, options.maxFrame(), Frames.WORKER_SETTING);
                if (frame == null) {
                    break;
                }
                dispatch(frame);
            }
        } catch (IOException | RuntimeException e) {
            // Java closes a dead process's pipe itself, so a read error is often just its death.
            log.debug("reader of worker {} ends on {}", options.workerId(), e.toString());
            if (state == State.OPEN && !exitsSoon()) {
                log.warn("channel of worker {} broke: {}", describe(), e.toString());
                if (e instanceof ProtocolException && deathReason == null) {
                    deathReason = "the node read a bad frame from it: " + e.getMessage();
                }
            }
            killTree();
        } catch (Error e) {
            log.error("reader of worker {} failed", describe(), e);
            killTree();
        }
        onDeath();
    }

    private boolean exitsSoon() {
        try {
            return process.waitFor(200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void dispatch(byte[] frame) {
        Function<Handle, Object> handles = adopt;
        if (othersDecoded) {
            PendingCall head = peekHead();
            if (head != null && head.decoding() != PendingCall.Decoding.ADOPT) {
                if (head.decoding() == PendingCall.Decoding.RAW && forwardRaw(head, frame)) {
                    return;
                }
                handles = null;
            }
        }
        Incoming message;
        try {
            message = Incoming.parse(frame, handles);
        } catch (ProtocolException e) {
            long[] header = Incoming.peekHeader(frame);
            if (header == null || header[1] <= 0 || !undecodable((int) header[0], header[1], e)) {
                throw e;
            }
            return;
        }
        switch (message.type()) {
            case Messages.REPLY -> finish(message.id(), message.body(), null);
            case Messages.ERROR -> onError(message.id(), (RemoteError) message.body());
            case Messages.EVENT -> onEvent(message.id(), message.body());
            case Messages.LOG -> onLog(message.body());
            case Messages.HELLO -> hello.complete(Hello.from((Map<?, ?>) message.body()));
            default -> throw new ProtocolException("unexpected message type " + message.type() + " from the worker");
        }
    }

    private PendingCall peekHead() {
        synchronized (lock) {
            return inFlight.peekFirst();
        }
    }

    /** A reply or event of a call that wants its value undecoded; false for any other frame. */
    private boolean forwardRaw(PendingCall head, byte[] frame) {
        long[] header = RawValue.header(frame);
        if (header == null || header[1] != head.id) {
            return false;
        }
        if (header[0] == Messages.REPLY) {
            finish(head.id, new RawValue(frame, (int) header[2]), null);
            return true;
        }
        if (header[0] == Messages.EVENT) {
            head.event(new RawValue(frame, (int) header[2]));
            return true;
        }
        return false;
    }

    /** A frame whose header reads but whose body does not: only its call fails. */
    private boolean undecodable(int type, long id, ProtocolException e) {
        if (type == Messages.REPLY || type == Messages.ERROR) {
            log.warn("worker {} answered call {} with a value the node cannot decode: {}", describe(), id,
                    e.getMessage());
            finish(id, null, new ProtocolException("the worker's answer could not be decoded (the call ran): "
                    + e.getMessage(), e));
            return true;
        }
        if (type == Messages.EVENT) {
            PendingCall head = head(id);
            head.undecodableEvent(new ProtocolException("an event of the call could not be decoded: "
                    + e.getMessage(), e));
            return true;
        }
        return false;
    }

    private PendingCall head(long id) {
        synchronized (lock) {
            PendingCall head = inFlight.peekFirst();
            if (head == null || head.id != id) {
                throw new ProtocolException("the worker sent a message for call " + id + " but the call in service is "
                        + (head == null ? "none" : Long.toString(head.id)));
            }
            return head;
        }
    }

    /** Ends the head call, which must be the one answered: the worker answers in order. */
    private void finish(long id, Object value, PyFleetException error) {
        PendingCall done;
        long now = System.nanoTime();
        synchronized (lock) {
            done = inFlight.peekFirst();
            if (done == null || done.id != id) {
                throw new ProtocolException("the worker answered call " + id + " but the call in service is "
                        + (done == null ? "none" : Long.toString(done.id)));
            }
            inFlight.pollFirst();
            unansweredBytes -= done.frameBytes;
            answeredAfterTimeout |= done.abandoned;
            PendingCall next = inFlight.peekFirst();
            if (next != null) {
                next.startedNanos = now;
            }
        }
        if (done.abandoned) {
            PendingCall.drop(value); // timed out already: the late answer is dropped, its node arrays freed
            return;
        }
        if (error == null) {
            done.complete(value);
        } else {
            done.fail(error);
        }
        listener.callEnded(this, done, now - done.startedNanos, error != null);
    }

    private void onError(long id, RemoteError error) {
        if (id == 0) {
            log.warn("worker {} reported a protocol error outside any call: {}", describe(), error.message());
            return;
        }
        finish(id, null, RemoteFailures.toException(error));
    }

    private void onEvent(long id, Object value) {
        head(id).event(value);
    }

    private void onLog(Object body) {
        if (body instanceof List<?> line && line.size() == 2) {
            output.line(String.valueOf(line.get(0)), String.valueOf(line.get(1)));
        }
    }

    // ---------------------------------------------------------------------------------- timeouts and death

    /**
     * Called by the {@link Watchdog}: fails the call in service if it overran its timeout,
     * closes the channel and kills the worker, all decided under the lock that completes
     * calls, so a reply cannot slip in between. Also notices a process that exited while a
     * child of it keeps the pipe open.
     */
    void check(long now) {
        PendingCall overran = null;
        synchronized (lock) {
            if (state == State.DEAD) {
                return;
            }
            PendingCall head = inFlight.peekFirst();
            if (head != null && !head.abandoned && head.isCancelled()) {
                head.abandoned = true;
                state = State.CLOSING;
                overran = head;
                deathReason = "killed by the node: the call it served was cancelled (its client's connection ended)";
            } else if (head != null && !head.abandoned && head.timeoutNanos() > 0
                    && now - head.startedNanos >= head.timeoutNanos()) {
                head.abandoned = true;
                state = State.CLOSING;
                overran = head;
                deathReason = "killed by the node: a call overran its timeout of "
                        + Duration.ofNanos(head.timeoutNanos());
            }
        }
        if (overran != null && overran.isCancelled()) {
            log.warn("worker {} serves a call whose client's connection ended; killing it (it will be replaced)",
                    describe());
            overran.failNow(new ConnectionLostException("the call was cancelled: the connection of its client "
                    + "ended (closed, or stopped reading what its calls send) while it ran on worker " + describe()
                    + "; it may have run in part. The worker was killed and will be replaced", true));
            listener.callEnded(this, overran, now - overran.startedNanos, true);
            killTree();
        } else if (overran != null) {
            Duration limit = Duration.ofNanos(overran.timeoutNanos());
            log.warn("worker {} overran the call timeout of {}; killing it", describe(), limit);
            overran.failNow(new CallTimeoutException("call timed out after " + limit.toMillis() + " ms on worker "
                    + describe() + "; it may have run in part. The worker was killed and will be replaced. The limit "
                    + "is the call's timeout (CallOptions.builder().timeout(...)), else pyfleet.pool.call-timeout: "
                    + "give a call that needs longer a longer timeout, or raise pyfleet.pool.call-timeout"));
            listener.callEnded(this, overran, now - overran.startedNanos, true);
            killTree();
        } else if (!process.isAlive() && !exitNoticed) {
            exitNoticed = true; // once: a child that inherited the pipe must not keep the death from being seen
            killTree();
        }
    }

    private void onDeath() {
        synchronized (lock) {
            if (state == State.OPEN) {
                state = State.CLOSING; // its output ended: a call written now would only look as if it ran
            }
        }
        int code;
        try {
            if (!process.waitFor(options.stopTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                killTree();
            }
            code = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = -1;
        }
        killTree(); // losing a worker ends its whole group: nothing it started outlives it
        stderr.awaitEnd(500);
        ExitStatus status = new ExitStatus(code, deathReason);
        List<PendingCall> orphans;
        boolean movedOn;
        synchronized (lock) {
            state = State.DEAD;
            movedOn = answeredAfterTimeout;
            orphans = new ArrayList<>(inFlight);
            inFlight.clear();
        }
        Watchdog.shared().forget(this);
        List<PendingCall> unsent = writer.takeUnsent();
        if (!unsent.isEmpty()) {
            listener.rejected(this, unsent);
        }
        if (!hello.isDone()) {
            hello.completeExceptionally(WorkerLauncher.startFailure(options, status, stderr));
        }
        String who = "worker " + describe() + " died: " + status.describe()
                + (status.signalled() ? stderr.faultLocation() : "");
        if (!orphans.isEmpty() || deathReason == null) {
            log.warn("{}{}", who, orphans.isEmpty() ? "" : " with " + orphans.size() + " call(s) in flight");
        }
        List<PendingCall> notStarted = new ArrayList<>();
        boolean serving = true;
        for (PendingCall p : orphans) {
            if (p.abandoned) {
                serving = false; // the worker was in the timed-out call: the ones behind it never started
            } else if (serving) {
                serving = false;
                p.failNow(new WorkerLostException(who + (movedOn ? "; the call that overran finished just as the "
                        + "worker was being killed, and the worker had started this one: it may have run"
                        : "; the call may have run") + stderr.summary(), true));
                listener.callEnded(this, p, System.nanoTime() - p.startedNanos, true);
            } else {
                notStarted.add(p);
            }
        }
        listener.died(this, status, notStarted);
        exited.complete(status);
    }

    /** SIGKILL to the worker and everything it started: its process group and its descendants. */
    private void killTree() {
        ProcessTree.kill(process);
    }

    // ---------------------------------------------------------------------------------- control

    /** "w1 (pid 1234, generation 2)". */
    public String describe() {
        return options.workerId() + " (pid " + process.pid() + ", generation " + options.generation() + ")";
    }

    public WorkerOptions options() {
        return options;
    }

    /** The worker's hello: versions, pid, frame limit. */
    public Hello hello() {
        return hello.getNow(null);
    }

    public long pid() {
        return process.pid();
    }

    /** Calls written and not yet answered. */
    public int inFlight() {
        synchronized (lock) {
            return inFlight.size();
        }
    }

    public boolean isAlive() {
        return !exited.isDone();
    }

    /** Completes when the process has ended and every call in flight has its outcome. */
    public CompletableFuture<ExitStatus> exited() {
        return exited;
    }

    /** Kills the worker at once (SIGKILL to its process tree); calls in flight end as on any death. */
    public void kill(String reason) {
        deathReason = reason;
        synchronized (lock) {
            if (state == State.OPEN) {
                state = State.CLOSING;
            }
        }
        killTree();
    }

    /**
     * Fails every call written and not yet answered with {@code error} at once and takes no
     * more; the process is left to {@link #close()} or {@link #kill}.
     */
    public void abandonAll(PyFleetException error) {
        List<PendingCall> dropped;
        synchronized (lock) {
            if (state == State.OPEN) {
                state = State.CLOSING;
            }
            dropped = new ArrayList<>(inFlight);
            dropped.forEach(p -> p.abandoned = true);
        }
        dropped.forEach(p -> p.failNow(error));
    }

    /**
     * Stops the worker: no more calls are taken, its input closes (the worker exits on EOF),
     * it gets the stop timeout, then it is killed. Calls still in flight fail as on any death.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (state == State.OPEN) {
                state = State.CLOSING;
            }
        }
        if (deathReason == null) {
            deathReason = "stopped by the node";
        }
        writer.closeIfIdle(); // the worker exits on EOF; a writer blocked on a full pipe is unblocked by the kill
        try {
            exited.get(options.stopTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            killTree();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killTree();
        }
        killTree(); // what the worker started must not outlive it
    }

    /** Waits until the process and its channel are gone, killing it if needed; for shutdown. */
    public void awaitExit(Duration limit) {
        try {
            exited.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            killTree();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
