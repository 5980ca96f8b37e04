package io.pyfleet.node.call;

import io.pyfleet.client.CallOptions;
import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.client.internal.FleetFuture;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import io.pyfleet.node.worker.EventSink;
import io.pyfleet.node.worker.PendingCall;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One scatter/gather job. The argument lists are cut into chunks (a few per worker, at
 * most {@value #MAX_CHUNK} items each); each chunk is one streamed {@code imap} request
 * whose items leave the worker one event each, so a cheap function costs a loop
 * iteration and a small frame rather than a round trip, and the node always knows which
 * items ran. When a chunk's worker dies or the chunk overruns, the item it was running
 * gets that error (it may have run), the items before it keep their outcomes, and only
 * the items after it, which never started, are sent again. Each chunk may run as long as
 * the job has left, and when the job timeout strikes the missing items fail with a timeout.
 */
final class ScatterJob {
    private static final Logger log = LoggerFactory.getLogger(ScatterJob.class);
    static final int MAX_CHUNK = 256;
    private static final int CHUNKS_PER_WORKER = 4;
    private static final Map<String, Object> STREAM = Map.of("stream", true);

    private final CallPath path;
    private final String function;
    private final List<? extends List<?>> argumentSets;
    private final CallOptions options;
    private final long deadline;
    private final Duration jobTimeout;
    private final int workers;
    private final Gather gather;
    /** Chunks written or queued, for {@link #cancel}. */
    private final java.util.Set<PendingCall> sent = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean cancelled;
    private ScheduledFuture<?> timer;

    /** How the items' values are decoded: the node's PyObjects, or plain handles for a remote client. */
    private final PendingCall.Decoding decoding;
    /** False when started on a thread that must never block (the gateway's). */
    private final boolean mayBlock;

    ScatterJob(CallPath path, String function, List<? extends List<?>> argumentSets, CallOptions options,
            Duration jobTimeout, int workers, PendingCall.Decoding decoding, boolean mayBlock,
            java.util.function.BiConsumer<Integer, Outcome> each) {
        this.path = path;
        this.decoding = decoding;
        this.mayBlock = mayBlock;
        this.function = function;
        this.argumentSets = argumentSets;
        this.options = options == null ? CallOptions.DEFAULT : options;
        this.jobTimeout = jobTimeout;
        this.deadline = System.nanoTime() + jobTimeout.toNanos();
        this.workers = workers;
        this.gather = new Gather(argumentSets.size(), path.callbacks(), each);
    }

    FleetFuture<List<Outcome>> result() {
        return gather.result();
    }

    void start() {
        int n = argumentSets.size();
        if (n == 0) {
            return;
        }
        try {
            timer = path.jobTimers().schedule(this::onJobTimeout, jobTimeout.toNanos(), TimeUnit.NANOSECONDS);
            gather.result().whenComplete((done, failure) -> timer.cancel(false));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the fleet is closing: the chunks below fail as closed
        }
        int chunk = Math.max(1, Math.min(MAX_CHUNK, (int) Math.ceil(n / (double) (workers * CHUNKS_PER_WORKER))));
        for (int from = 0; from < n; from += chunk) {
            sendChunk(from, Math.min(n, from + chunk));
        }
    }

    /**
     * Nobody waits for the outcomes any more (the client's connection ended): chunks not sent are not run, and
     * those queued or running are cancelled ({@link CallPath#cancel}).
     */
    void cancel() {
        cancelled = true;
        for (PendingCall call : sent) {
            path.cancel(call);
        }
    }

    private void sendChunk(int from, int to) {
        if (cancelled) {
            PyFleetException notRun = new io.pyfleet.client.ConnectionLostException("the scatter was cancelled: the "
                    + "connection of its client ended; this item was not run", false);
            for (int i = from; i < to; i++) {
                gather.set(i, Outcome.failed(notRun));
            }
            return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            onJobTimeout();
            return;
        }
        Duration timeout = Duration.ofNanos(left);
        if (options.timeout() != null) {
            Duration perItems = options.timeout().multipliedBy(to - from);
            timeout = perItems.compareTo(timeout) < 0 ? perItems : timeout;
        }
        Items items = new Items(from);
        FleetFuture<Object> reply = new FleetFuture<>(path.callbacks());
        List<Object> args = new ArrayList<>(argumentSets.subList(from, to));
        try {
            PendingCall call = path.prepare("imap", function, List.of(args), null, STREAM, timeout, reply, null, 0, items)
                    .decoding(decoding);
            sent.add(call);
            reply.whenComplete((count, failure) -> {
                sent.remove(call);
                chunkDone(from, to, items.received.get(), failure);
            });
            path.route(call, mayBlock);
            if (cancelled) {
                path.cancel(call); // cancelled while this chunk was being sent
            }
        } catch (PyFleetException e) {
            if (to - from > 1) {
                // One item cannot be encoded: encode them one by one, so only that item fails.
                for (int i = from; i < to; i++) {
                    sendChunk(i, i + 1);
                }
                return;
            }
            gather.set(from, Outcome.failed(e));
        }
    }

    /** A chunk ended: its items all have outcomes, or some never started and go again. */
    private void chunkDone(int from, int to, int received, Throwable failure) {
        int next = from + received;
        if (failure == null) {
            for (int i = next; i < to; i++) {
                gather.set(i, Outcome.failed(new ProtocolException("the worker ended the chunk without item " + i)));
            }
            return;
        }
        PyFleetException error = Gather.outcomeOf(null, failure).error();
        // After a death the reader has read every event before the failure, so the count is
        // exact and the items behind the one in service never started. A timeout is decided
        // while events may still be in the pipe: then nothing is sent again.
        boolean attributable = error instanceof WorkerLostException || error instanceof PythonException;
        if (!attributable || next >= to) {
            for (int i = next; i < to; i++) {
                gather.set(i, Outcome.failed(error));
            }
            return;
        }
        // The item in service takes the blame; those behind it never started.
        gather.set(next, Outcome.failed(error));
        if (next + 1 < to && !gather.result().isDone()) {
            log.debug("scatter chunk [{}, {}) ended at item {} ({}); sending the {} items after it again", from, to,
                    next, error.getClass().getSimpleName(), to - next - 1);
            sendChunk(next + 1, to);
        }
    }

    private void onJobTimeout() {
        CallTimeoutException late = new CallTimeoutException("the scatter job did not finish within " + jobTimeout
                .toMillis() + " ms (pyfleet.scatter.job-timeout): this item never ended. Split the job into smaller "
                + "ones, add workers, or raise pyfleet.scatter.job-timeout");
        for (int i = 0; i < argumentSets.size(); i++) {
            gather.set(i, Outcome.failed(late));
        }
    }

    /** Records each item's outcome as its event arrives (on the reader thread: cheap, no user code). */
    private final class Items implements EventSink {
        private final int from;
        final AtomicInteger received = new AtomicInteger();

        Items(int from) {
            this.from = from;
        }

        @Override
        public void event(Object item) {
            gather.set(from + received.getAndIncrement(), itemOutcome(item));
        }

        @Override
        public void undecodable(RuntimeException failure) {
            gather.set(from + received.getAndIncrement(), Outcome.failed(failure instanceof PyFleetException p ? p
                    : new ProtocolException(failure.getMessage(), failure)));
        }
    }

    /** One item of an imap: [0, value] or [1, error fields]. */
    private static Outcome itemOutcome(Object item) {
        if (item instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof Number tag) {
            if (tag.intValue() == 0) {
                return Outcome.ok(pair.get(1));
            }
            if (tag.intValue() == 1) {
                try {
                    return Outcome.failed(RemoteFailures.toException(RemoteError.fromFields(pair.get(1))));
                } catch (ProtocolException e) {
                    return Outcome.failed(new ProtocolException("malformed scatter item from the worker: "
                            + e.getMessage()));
                }
            }
        }
        return Outcome.failed(new ProtocolException("malformed scatter item from the worker: " + item));
    }
}
