package io.pyfleet.node.worker;

import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.RemoteFailures;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.protocol.Frames;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import io.pyfleet.protocol.RemoteError;
import io.pyfleet.protocol.ValueCodec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Python worker process and its channel: starts {@code python -m pyfleet.worker},
 * sends requests (many may be in flight; the worker serves them in order), completes
 * each with exactly one outcome, and notices death. No actors here: the node's
 * {@code PythonWorker} actor owns one of these.
 *
 * <p>When the process dies, the call it was serving fails with a {@link WorkerLostException}
 * naming the worker and its exit status (or {@link CallTimeoutException} when the node
 * killed it for overrunning), and every call queued behind it fails with
 * {@link NotStartedException}: it never ran and may be retried elsewhere.
 */
public final class WorkerProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerProcess.class);
    private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pyfleet-call-timeouts");
        t.setDaemon(true);
        return t;
    });
    private static final int STDERR_TAIL_LINES = 20;

    private final WorkerOptions options;
    private final Process process;
    private final OutputStream out;
    private final InputStream in;
    private final Logger workerLog;
    private final Object writeLock = new Object();
    /** Calls in the order they were written; the head is the one the worker is serving. */
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Hello> hello = new CompletableFuture<>();
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private final Thread stderrDrainer;
    private long nextId = 1;
    private boolean closed;
    private volatile String deathReason;
    private volatile Pending timedOut;

    /** A call written to the worker and not yet answered. */
    private static final class Pending {
        final long id;
        final CompletableFuture<Object> result = new CompletableFuture<>();
        final Consumer<Object> onEvent;
        final Duration timeout;
        final AtomicBoolean timerStarted = new AtomicBoolean();
        volatile ScheduledFuture<?> timer;

        Pending(long id, Consumer<Object> onEvent, Duration timeout) {
            this.id = id;
            this.onEvent = onEvent;
            this.timeout = timeout;
        }
    }

    private WorkerProcess(WorkerOptions options, Process process) {
        this.options = options;
        this.process = process;
        this.out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        this.in = new BufferedInputStream(process.getInputStream(), 1 << 18);
        this.workerLog = LoggerFactory.getLogger("io.pyfleet.worker." + options.workerId());
        this.stderrDrainer = new Thread(this::drainStderr, "pyfleet-stderr-" + options.workerId());
        this.stderrDrainer.setDaemon(true);
    }

    /**
     * Starts a worker and waits for its hello.
     *
     * @throws WorkerStartException when the interpreter is missing, lacks msgpack, dies on
     *     start-up or does not say hello within the start timeout
     */
    public static WorkerProcess start(WorkerOptions options) {
        ProcessBuilder builder = WorkerLauncher.builder(options);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new WorkerStartException("cannot start the Python interpreter '" + options.interpreter()
                    + "' for worker " + options.workerId() + ": " + e.getMessage()
                    + " (set pyfleet.worker.interpreter to a Python 3.9+ executable)", e);
        }
        WorkerProcess worker = new WorkerProcess(options, process);
        worker.stderrDrainer.start();
        Thread reader = new Thread(worker::readLoop, "pyfleet-reader-" + options.workerId());
        reader.setDaemon(true);
        reader.start();
        try {
            worker.hello.get(options.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            worker.deathReason = "no hello within the start timeout";
            process.destroyForcibly();
            throw new WorkerStartException("worker " + options.workerId() + " (" + options.interpreter()
                    + ") did not start within " + options.startTimeout() + worker.stderrSummary());
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PyFleetException p ? p
                    : new WorkerStartException("worker " + options.workerId() + " failed to start", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new WorkerStartException("interrupted while starting worker " + options.workerId());
        }
        return worker;
    }

    /** Sends a request; see the protocol's op table. Never blocks on the worker's answer. */
    public CompletableFuture<Object> submit(String op, Object target, List<?> args, Map<String, ?> kwargs,
            Map<String, ?> opts) {
        return submit(op, target, args, kwargs, opts, null, null);
    }

    /**
     * Sends a request.
     *
     * @param onEvent  receives the values the call emits before its reply (may be null)
     * @param timeout  how long the call may run once the worker starts it; on overrun the
     *                 worker is killed and the call fails with {@link CallTimeoutException}
     *                 (null for none)
     */
    public CompletableFuture<Object> submit(String op, Object target, List<?> args, Map<String, ?> kwargs,
            Map<String, ?> opts, Consumer<Object> onEvent, Duration timeout) {
        byte[] tail;
        try {
            tail = encodeTail(op, target, args, kwargs, opts);
        } catch (PyFleetException e) {
            return CompletableFuture.failedFuture(e);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(new ProtocolException("cannot encode the call: " + e.getMessage(), e));
        }
        if (tail.length + 11 > options.maxFrame()) {
            return CompletableFuture.failedFuture(new ProtocolException("the call encodes to " + (tail.length + 11)
                    + " bytes, over the maximum frame size of " + options.maxFrame() + " bytes"));
        }
        Pending pending;
        synchronized (writeLock) {
            if (closed) {
                return CompletableFuture.failedFuture(new NotStartedException("worker " + describe()
                        + " is no longer running" + (deathReason == null ? "" : ": " + deathReason)));
            }
            pending = new Pending(nextId++, onEvent, timeout);
            queue.add(pending);
            try {
                writeRequest(pending.id, tail);
            } catch (IOException e) {
                // The worker is gone; the reader sees the EOF and fails this call with the exit status.
                log.debug("write to worker {} failed: {}", options.workerId(), e.toString());
            }
        }
        if (queue.peek() == pending) {
            startTimer(pending);
        }
        return pending.result;
    }

    /** A packer per calling thread: a fresh one allocates an 8 KiB buffer, most of a small call's cost. */
    private static final ThreadLocal<MessageBufferPacker> PACKERS =
            ThreadLocal.withInitial(MessagePack::newDefaultBufferPacker);

    /** A call waited for on this thread; failures are thrown as their typed exceptions. */
    public Object call(String op, Object target, List<?> args, Map<String, ?> kwargs, Map<String, ?> opts) {
        return io.pyfleet.client.Fleet.join(submit(op, target, args, kwargs, opts));
    }

    private static byte[] encodeTail(String op, Object target, List<?> args, Map<String, ?> kwargs,
            Map<String, ?> opts) throws IOException {
        MessageBufferPacker packer = PACKERS.get();
        packer.clear();
        packer.packString(op);
        ValueCodec.encode(packer, target);
        ValueCodec.encode(packer, args == null || args.isEmpty() ? null : args);
        ValueCodec.encode(packer, kwargs == null || kwargs.isEmpty() ? null : kwargs);
        ValueCodec.encode(packer, opts == null || opts.isEmpty() ? null : opts);
        byte[] bytes = packer.toByteArray();
        if (packer.getBufferSize() > 1 << 20) {
            PACKERS.remove(); // don't keep a big array's buffer alive for the thread's lifetime
        }
        return bytes;
    }

    /** Writes [0, id, ...tail] as one frame: the id is added under the write lock so ids follow write order. */
    private void writeRequest(long id, byte[] tail) throws IOException {
        byte[] head = new byte[11];
        head[0] = (byte) 0x97; // fixarray of 7
        head[1] = 0x00;        // message type: request
        int headLen;
        if (id < 128) {
            head[2] = (byte) id;
            headLen = 3;
        } else {
            head[2] = (byte) 0xcf; // uint64
            for (int i = 0; i < 8; i++) {
                head[3 + i] = (byte) (id >>> (56 - 8 * i));
            }
            headLen = 11;
        }
        int length = headLen + tail.length;
        out.write(length >>> 24);
        out.write(length >>> 16);
        out.write(length >>> 8);
        out.write(length);
        out.write(head, 0, headLen);
        out.write(tail);
        out.flush();
    }

    private void startTimer(Pending pending) {
        if (pending.timeout == null || !pending.timerStarted.compareAndSet(false, true)) {
            return;
        }
        pending.timer = TIMERS.schedule(() -> onTimeout(pending), pending.timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void onTimeout(Pending pending) {
        if (pending.result.isDone() || queue.peek() != pending) {
            return;
        }
        timedOut = pending;
        deathReason = "killed by the node: call " + pending.id + " overran its timeout of " + pending.timeout;
        log.warn("worker {} overran the call timeout of {}; killing it", describe(), pending.timeout);
        process.destroyForcibly();
    }

    private void readLoop() {
        try {
            while (true) {
                byte[] frame = Frames.readFrame(in, options.maxFrame());
                if (frame == null) {
                    break;
                }
                dispatch(Incoming.parse(frame));
            }
        } catch (IOException | RuntimeException e) {
            // Java closes a dead process's pipe itself, so a read error is often just its death.
            if (!closed && !exitsSoon()) {
                log.warn("channel of worker {} broke: {}", describe(), e.toString());
                if (e instanceof ProtocolException && deathReason == null) {
                    deathReason = "the node read a bad frame from it: " + e.getMessage();
                }
            }
            process.destroyForcibly();
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

    private void dispatch(Incoming message) {
        switch (message.type()) {
            case Messages.REPLY -> complete(message.id()).result.complete(message.body());
            case Messages.ERROR -> onError(message.id(), (RemoteError) message.body());
            case Messages.EVENT -> onEvent(message.id(), message.body());
            case Messages.LOG -> onLog(message.body());
            case Messages.HELLO -> hello.complete(Hello.from((Map<?, ?>) message.body()));
            default -> throw new ProtocolException("unexpected message type " + message.type() + " from the worker");
        }
    }

    /** Takes the head call, which must be the one answered: the worker answers in order. */
    private Pending complete(long id) {
        Pending head = queue.poll();
        if (head == null || head.id != id) {
            throw new ProtocolException("the worker answered call " + id + " but the call in service is "
                    + (head == null ? "none" : Long.toString(head.id)));
        }
        ScheduledFuture<?> timer = head.timer;
        if (timer != null) {
            timer.cancel(false);
        }
        Pending next = queue.peek();
        if (next != null) {
            startTimer(next);
        }
        return head;
    }

    private void onError(long id, RemoteError error) {
        if (id == 0) {
            log.warn("worker {} reported a protocol error outside any call: {}", describe(), error.message());
            return;
        }
        complete(id).result.completeExceptionally(RemoteFailures.toException(error));
    }

    private void onEvent(long id, Object value) {
        Pending head = queue.peek();
        if (head == null || head.id != id) {
            throw new ProtocolException("the worker sent an event for call " + id + " which is not in service");
        }
        if (head.onEvent != null) {
            try {
                head.onEvent.accept(value);
            } catch (RuntimeException e) {
                log.warn("event handler of call {} on worker {} failed", id, options.workerId(), e);
            }
        }
    }

    private void onLog(Object body) {
        if (body instanceof List<?> line && line.size() == 2) {
            workerLog.info("[{}] {}", line.get(0), line.get(1));
        }
    }

    private void onDeath() {
        int code;
        try {
            if (!process.waitFor(options.stopTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
            code = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = -1;
        }
        try {
            stderrDrainer.join(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ExitStatus status = new ExitStatus(code, deathReason);
        List<Pending> orphans = new ArrayList<>();
        synchronized (writeLock) {
            closed = true;
            for (Pending p; (p = queue.poll()) != null; ) {
                orphans.add(p);
            }
        }
        if (!hello.isDone()) {
            hello.completeExceptionally(startFailure(status));
        }
        String who = "worker " + describe() + " died: " + status.describe();
        if (!orphans.isEmpty() || deathReason == null) {
            log.warn("{}{}", who, orphans.isEmpty() ? "" : " with " + orphans.size() + " call(s) in flight");
        }
        for (int i = 0; i < orphans.size(); i++) {
            Pending p = orphans.get(i);
            ScheduledFuture<?> timer = p.timer;
            if (timer != null) {
                timer.cancel(false);
            }
            PyFleetException failure;
            if (p == timedOut) {
                failure = new CallTimeoutException("call timed out after " + p.timeout + " on worker " + describe()
                        + "; the worker was killed and will be replaced");
            } else if (i == 0) {
                failure = new WorkerLostException(who + stderrSummary());
            } else {
                failure = new NotStartedException(who + " before this call started");
            }
            p.result.completeExceptionally(failure);
        }
        exited.complete(status);
    }

    private WorkerStartException startFailure(ExitStatus status) {
        String tail = stderrSummary();
        if (status.code() == ExitStatus.MISSING_PACKAGE) {
            return new WorkerStartException("the Python interpreter '" + options.interpreter()
                    + "' cannot run the worker" + tail);
        }
        return new WorkerStartException("worker " + options.workerId() + " (" + options.interpreter()
                + ") exited before it started: " + status.describe() + tail);
    }

    private void drainStderr() {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                workerLog.warn("[stderr] {}", line);
                synchronized (stderrTail) {
                    stderrTail.addLast(line);
                    if (stderrTail.size() > STDERR_TAIL_LINES) {
                        stderrTail.removeFirst();
                    }
                }
            }
        } catch (IOException ignored) {
            // the process is gone
        }
    }

    private String stderrSummary() {
        synchronized (stderrTail) {
            return stderrTail.isEmpty() ? "" : "; its last output:\n  " + String.join("\n  ", stderrTail);
        }
    }

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
        return queue.size();
    }

    public boolean isAlive() {
        return !exited.isDone();
    }

    /** Completes when the process has ended and every call in flight has its outcome. */
    public CompletableFuture<ExitStatus> exited() {
        return exited;
    }

    /** Kills the process at once (SIGKILL); calls in flight fail as on any death. */
    public void kill(String reason) {
        deathReason = reason;
        process.destroyForcibly();
    }

    /**
     * Stops the worker: closes its channel (the worker exits on EOF), waits up to the
     * stop timeout, then kills it. Calls still in flight fail with a worker-lost error.
     */
    @Override
    public void close() {
        synchronized (writeLock) {
            if (deathReason == null) {
                deathReason = "stopped by the node";
            }
            try {
                out.close();
            } catch (IOException ignored) {
                // already closed by a dead process
            }
        }
        try {
            exited.get(options.stopTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
