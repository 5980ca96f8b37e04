package io.pyfleet.node.pool;

import io.pyfleet.client.Call;
import io.pyfleet.node.worker.NotStartedException;
import io.pyfleet.node.worker.WorkerProcess;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One serving worker process as callers see it: a lane calls can be written into
 * directly, without a hop through the actors, while the {@link Router} keeps deciding
 * who serves (it opens a lane when a worker is up and closes it when the worker dies or
 * drains). Both the router's path and the direct path count their calls here.
 */
public final class Lane {
    final String workerId;
    final long generation;
    final WorkerProcess process;
    final Counters counters;
    /** Calls written to this process and not yet answered. */
    final AtomicInteger inFlight = new AtomicInteger();
    /** False once the worker died or drains: no new calls may take this lane. */
    volatile boolean open = true;

    /** A slot's statistics, kept across the generations of its process. */
    static final class Counters {
        final LongAdder calls = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder busyNanos = new LongAdder();
    }

    Lane(String workerId, long generation, WorkerProcess process, Counters counters) {
        this.workerId = workerId;
        this.generation = generation;
        this.process = process;
        this.counters = counters;
    }

    /** Takes a place in the pipeline if the lane is open and below the depth. */
    boolean tryAcquire(int depth) {
        while (open) {
            int n = inFlight.get();
            if (n >= depth) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Writes a call whose place was already taken ({@link #tryAcquire} or the router's
     * count); the place is given back, and the call counted, when it ends.
     */
    public CompletableFuture<Object> run(Call call, Duration defaultTimeout) {
        Duration timeout = call.options().timeout() != null ? call.options().timeout() : defaultTimeout;
        long started = System.nanoTime();
        CompletableFuture<Object> result = process.submit(call.op(), call.target(), call.args(), call.kwargs(),
                PythonWorker.wireOptions(call), call.options().onEvent(), timeout);
        return result.whenComplete((value, failure) -> {
            inFlight.decrementAndGet();
            if (failure == null || !(Failures.unwrap(failure) instanceof NotStartedException)) {
                counters.calls.increment();
                counters.busyNanos.add(System.nanoTime() - started);
                if (failure != null) {
                    counters.errors.increment();
                }
            }
        });
    }

    @Override
    public String toString() {
        return workerId + "." + generation + (open ? "" : " (closed)") + " in flight " + inFlight.get();
    }
}
