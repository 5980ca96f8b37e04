package io.pyfleet.bench;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/** The two shapes of measurement most cases share: one call at a time, and many in flight. */
final class Loops {
    /** How long a pipelined loop waits for room in its window before it gives up. */
    private static final long STALL_SECONDS = 60;

    private Loops() {
    }

    /** Something timed once per iteration. */
    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    /** Runs {@code step} {@code n} times, one after another; returns each iteration's nanoseconds. */
    static long[] latencies(int n, Step step) throws Exception {
        long[] samples = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            step.run();
            samples[i] = System.nanoTime() - t0;
        }
        return samples;
    }

    /** p50 and p99, under the two names given, of {@code n} sync {@code operator.add(1, 2)} calls. */
    static java.util.Map<String, Double> addLatencies(String p50, String p99, int n, Supplier<Object> add)
            throws Exception {
        double[] p = p50p99Micros(latencies(n, () -> {
            Object sum = add.get();
            if (!Long.valueOf(3).equals(sum)) {
                throw new BenchFailure("operator.add(1, 2) returned " + sum);
            }
        }));
        return java.util.Map.of(p50, p[0], p99, p[1]);
    }

    /** p50 and p99 of latency samples, in microseconds. */
    static double[] p50p99Micros(long[] samples) {
        java.util.Arrays.sort(samples);
        return new double[] {Stats.micros(Stats.percentileOfSorted(samples, 50)),
            Stats.micros(Stats.percentileOfSorted(samples, 99))};
    }

    /** How many operations a pipelined loop completed, in how many nanoseconds. */
    record Rate(long count, long nanos) {
        double perSecond() {
            return Stats.perSecond(count, nanos);
        }
    }

    /**
     * Starts up to {@code n} asynchronous operations, at most {@code window} in flight, and waits for all
     * that started; stops starting new ones once {@code limit} has passed (so that a slow build still
     * finishes the suite in time). Returns how many completed and the nanoseconds from the first start
     * to the last completion.
     *
     * @throws BenchFailure when any operation failed, or the window did not move for a minute
     */
    static Rate pipelined(int n, int window, java.time.Duration limit, Supplier<? extends CompletionStage<?>> start)
            throws InterruptedException {
        Semaphore room = new Semaphore(window);
        LongAdder failures = new LongAdder();
        AtomicReference<Throwable> first = new AtomicReference<>();
        long t0 = System.nanoTime();
        long stopAt = t0 + limit.toNanos();
        int started = 0;
        while (started < n) {
            if (!room.tryAcquire(STALL_SECONDS, TimeUnit.SECONDS)) {
                throw new BenchFailure("no call completed for " + STALL_SECONDS + " s (" + started + " of " + n
                        + " started)");
            }
            start.get().whenComplete((value, failure) -> {
                if (failure != null) {
                    failures.increment();
                    first.compareAndSet(null, failure);
                }
                room.release();
            });
            started++;
            if ((started & 1023) == 0 && System.nanoTime() > stopAt) {
                break;
            }
        }
        if (!room.tryAcquire(window, STALL_SECONDS, TimeUnit.SECONDS)) {
            throw new BenchFailure("calls still in flight after " + STALL_SECONDS + " s");
        }
        long elapsed = System.nanoTime() - t0;
        if (failures.sum() > 0) {
            throw new BenchFailure(failures.sum() + " of " + started + " calls failed; the first: " + first.get(),
                    first.get());
        }
        return new Rate(started, elapsed);
    }

    /** One pipelined loop per thread, all started together: total calls over the wall time of the slowest. */
    static Rate parallel(int threads, java.util.function.IntFunction<Rate> loop) throws InterruptedException {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bench-caller");
            t.setDaemon(true);
            return t;
        });
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.List<java.util.concurrent.Future<Rate>> rates = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int index = i;
                rates.add(pool.submit(() -> {
                    go.await();
                    return loop.apply(index);
                }));
            }
            long t0 = System.nanoTime();
            go.countDown();
            long count = 0;
            for (java.util.concurrent.Future<Rate> f : rates) {
                try {
                    count += f.get().count();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof BenchFailure b ? b
                            : new BenchFailure("a caller thread failed: " + e.getCause(), e.getCause());
                }
            }
            return new Rate(count, System.nanoTime() - t0);
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@link #pipelined} for a lambda that cannot throw InterruptedException. */
    static Rate pipelinedUnchecked(int n, int window, java.time.Duration limit,
            Supplier<? extends CompletionStage<?>> start) {
        try {
            return pipelined(n, window, limit, start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchFailure("interrupted");
        }
    }
}
