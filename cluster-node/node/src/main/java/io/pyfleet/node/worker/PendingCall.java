package io.pyfleet.node.worker;

import io.pyfleet.client.internal.Handle;
import io.pyfleet.protocol.EncodedCall;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One call on its way through the node: encoded once on the caller's thread, then
 * written to exactly one worker at a time. It ends exactly once: the first of its reply,
 * its error, its timeout or its worker's death completes its future, and whatever comes
 * later is ignored.
 */
public final class PendingCall {
    private final EncodedCall encoded;
    private final long timeoutNanos;
    private final String boundWorker;
    private final long boundGeneration;
    private final CompletableFuture<Object> result;
    private final EventSink events;
    /** How its reply and events are decoded; see {@link Decoding}. */
    private Decoding decoding = Decoding.ADOPT;
    /** Run once when the node is done with it; see {@link #onEnd}. */
    private final AtomicReference<Runnable> onEnd = new AtomicReference<>();

    /** Set by the channel as the call is written; read by its reader and the watchdog. */
    long id;
    int frameBytes;
    /** When the worker (probably) started it: written, or its predecessor answered. */
    volatile long startedNanos;
    /** True once its timeout was decided: a late reply is dropped. */
    volatile boolean abandoned;
    /** Nobody waits for it any more (its client's connection ended): never started, and stopped if running. */
    private volatile boolean cancelled;

    /**
     * @param timeoutNanos how long it may run once its worker starts it; 0 for no limit
     * @param boundWorker  the worker it must run on (a release, a part of an identical
     *                     call), or null; a call on a handle is bound through the handle
     * @param events       where its events go, or null to drop them
     */
    public PendingCall(EncodedCall encoded, long timeoutNanos, String boundWorker, long boundGeneration,
            CompletableFuture<Object> result, EventSink events) {
        this.encoded = encoded;
        this.timeoutNanos = timeoutNanos;
        this.boundWorker = boundWorker;
        this.boundGeneration = boundGeneration;
        this.result = result;
        this.events = events;
    }

    /**
     * How a call's reply and events reach its future: decoded with the channel's handle
     * mapper (the node's releasing {@code PyObject}s), decoded with handles left as plain
     * {@code Handle}s (for a remote client, which releases them itself), or not decoded at
     * all ({@link RawValue}, for the gateway to forward). Errors are always decoded.
     */
    public enum Decoding { ADOPT, PLAIN_HANDLES, RAW }

    /** Sets how the reply and events are decoded; before the call is sent. */
    public PendingCall decoding(Decoding mode) {
        this.decoding = mode;
        return this;
    }

    public Decoding decoding() {
        return decoding;
    }

    /**
     * Runs {@code action} once the node is done with this call: its reply or error came, it timed out, its
     * worker died, or it failed before it was written; not when its caller stops waiting (a cancel, or a
     * timeout of the caller's own on the future), since the call may still be written and read.
     */
    public PendingCall onEnd(Runnable action) {
        onEnd.set(action);
        return this;
    }

    private void ended() {
        Runnable action = onEnd.getAndSet(null);
        if (action != null) {
            action.run();
        }
    }

    /**
     * Marks the call as wanted by nobody: a call not yet written is never written (its path fails it as not run),
     * and the watchdog kills the worker that serves it, the one way to stop Python code (the pool replaces
     * the worker). The call still ends exactly once, as cancelled.
     */
    public void cancel() {
        cancelled = true;
    }

    /** Whether {@link #cancel} was called. */
    public boolean isCancelled() {
        return cancelled;
    }

    public byte[] tail() {
        return encoded.tail();
    }

    /** The handle whose worker must run this call, or null. */
    public Handle owner() {
        return encoded.owner();
    }

    /** The worker this call may only run on, from its handle or its binding; null when any worker may. */
    public String boundWorker() {
        return encoded.owner() != null ? encoded.owner().worker() : boundWorker;
    }

    public long boundGeneration() {
        return encoded.owner() != null ? encoded.owner().generation() : boundGeneration;
    }

    public boolean isBound() {
        return boundWorker() != null;
    }

    public long timeoutNanos() {
        return timeoutNanos;
    }

    public CompletableFuture<Object> result() {
        return result;
    }

    public boolean isDone() {
        return result.isDone();
    }

    /** Completes with a value, after the call's events have been delivered. */
    public void complete(Object value) {
        ended();
        if (events == null) {
            completeOrDrop(value);
        } else {
            events.thenComplete(() -> completeOrDrop(value));
        }
    }

    private void completeOrDrop(Object value) {
        if (!result.complete(value)) {
            drop(value); // the caller stopped waiting (a cancel, a timeout): nobody will close its arrays
        }
    }

    /**
     * An answer nobody takes: the node memory of the arrays in it is freed now, not at some GC
     * (mapped memory puts no pressure on the heap, so that could be never).
     */
    public static void drop(Object value) {
        drop(value, 0);
    }

    private static void drop(Object value, int depth) {
        if (value instanceof io.pyfleet.client.PyArray a) {
            a.close();
        } else if (depth < 8 && value instanceof Iterable<?> items) {
            items.forEach(v -> drop(v, depth + 1));
        } else if (depth < 8 && value instanceof java.util.Map<?, ?> m) {
            m.values().forEach(v -> drop(v, depth + 1));
        } else if (depth < 8 && value instanceof io.pyfleet.client.PyTuple t) {
            drop(t.items(), depth + 1);
        }
    }

    /** Completes with the error the worker answered, after the call's events have been delivered. */
    public void fail(Throwable error) {
        ended();
        if (events == null) {
            result.completeExceptionally(error);
        } else {
            events.thenComplete(() -> result.completeExceptionally(error));
        }
    }

    /** Fails at once (timeout, lost worker, close), dropping events not delivered yet. */
    public void failNow(Throwable error) {
        ended();
        if (events != null) {
            events.abandon();
        }
        result.completeExceptionally(error);
    }

    void event(Object value) {
        if (events != null && !abandoned) {
            events.event(value);
        }
    }

    void undecodableEvent(RuntimeException failure) {
        if (events != null && !abandoned) {
            events.undecodable(failure);
        }
    }
}
