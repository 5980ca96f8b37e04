package io.pyfleet.node.call;

import io.pyfleet.node.worker.WorkerProcess;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One generation of a worker as the call path sees it: its channel, the calls written to
 * it and not yet ended, and whether it takes new calls. Created when the worker serves,
 * dropped when it dies or has drained.
 */
public final class Lane {
    final String workerId;
    final long generation;
    final WorkerProcess process;
    final Counters counters;
    /** Calls written (or being written) to this worker and not yet ended. */
    final AtomicInteger inFlight = new AtomicInteger();
    /** False once it died, times out, drains or is removed: no new unbound call picks it. */
    volatile boolean open = true;
    /** Being removed by a shrink: it finishes its calls; calls on its objects are refused. */
    volatile boolean draining;
    final AtomicBoolean fillScheduled = new AtomicBoolean();
    final AtomicBoolean drainReported = new AtomicBoolean();

    /** A worker slot's statistics, kept across the generations of its process. */
    public static final class Counters {
        final LongAdder calls = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder busyNanos = new LongAdder();

        public long calls() {
            return calls.sum();
        }

        public long errors() {
            return errors.sum();
        }

        public long busyNanos() {
            return busyNanos.sum();
        }
    }

    Lane(String workerId, long generation, WorkerProcess process, Counters counters) {
        this.workerId = workerId;
        this.generation = generation;
        this.process = process;
        this.counters = counters;
    }

    /** Takes a place below {@code depth} if the lane is open. */
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

    int load() {
        return inFlight.get();
    }

    @Override
    public String toString() {
        return workerId + "." + generation + (open ? "" : " (closed)") + " in flight " + inFlight.get();
    }
}
