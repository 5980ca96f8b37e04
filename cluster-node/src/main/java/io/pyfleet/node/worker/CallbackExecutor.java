package io.pyfleet.node.worker;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where user code attached to calls runs: continuations of call futures and event
 * consumers, and the node's own deferred writes. A few threads serve it; when its queue
 * stalls because every thread is blocked in user code (a continuation making a
 * synchronous call, a slow consumer), the {@link Watchdog} adds a thread, so a blocking
 * callback holds up its own call only. Threads above the base number end after a minute idle.
 */
public final class CallbackExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(CallbackExecutor.class);
    /** How long the oldest waiting task may wait while all threads are busy before one is added. */
    private static final long STALL_NANOS = 50_000_000L;
    private static final int MAX_THREADS = 1024;
    private static final Set<CallbackExecutor> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile CallbackExecutor shared;

    private final String name;
    private final int base;
    private final Pool pool;
    private volatile long lastStart = System.nanoTime();

    private final class Pool extends ThreadPoolExecutor {
        Pool(int threads, ThreadFactory factory) {
            super(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
            allowCoreThreadTimeOut(true);
        }

        @Override
        protected void beforeExecute(Thread t, Runnable r) {
            lastStart = System.nanoTime();
        }
    }

    public CallbackExecutor(String name) {
        this.name = name;
        this.base = Math.max(2, Runtime.getRuntime().availableProcessors());
        AtomicInteger count = new AtomicInteger();
        this.pool = new Pool(base, r -> {
            Thread t = new Thread(r, name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            t.setUncaughtExceptionHandler((thread, e) -> log.error("callback failed on {}", thread.getName(), e));
            return t;
        });
        LIVE.add(this);
    }

    /** The executor of workers used without a node (tools, tests). */
    static CallbackExecutor shared() {
        CallbackExecutor s = shared;
        if (s == null) {
            synchronized (CallbackExecutor.class) {
                if (shared == null) {
                    shared = new CallbackExecutor("pyfleet-callback");
                }
                s = shared;
            }
        }
        return s;
    }

    @Override
    public void execute(Runnable task) {
        try {
            pool.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Shut down: run it here rather than lose an outcome (only close() gets here, on its own thread).
            task.run();
        }
    }

    /** Adds a thread when the queue has not moved for a while and every thread is busy. */
    void checkStalled(long now) {
        if (pool.getQueue().isEmpty() || now - lastStart < STALL_NANOS || pool.isShutdown()) {
            return;
        }
        int size = pool.getMaximumPoolSize();
        if (pool.getActiveCount() >= size && size < MAX_THREADS) {
            pool.setMaximumPoolSize(size + 1);
            pool.setCorePoolSize(size + 1);
            lastStart = now;
            log.debug("{}: every callback thread was blocked for {} ms; now {} threads", name,
                    STALL_NANOS / 1_000_000, size + 1);
        }
    }

    /** Runs what is queued, then lets the threads end; waits up to {@code millis}. */
    public void shutdown(long millis) {
        LIVE.remove(this);
        pool.shutdown();
        try {
            pool.awaitTermination(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Checks every live executor; called by the watchdog. */
    static void checkAll(long now) {
        for (CallbackExecutor e : LIVE) {
            e.checkStalled(now);
        }
    }

    /** Threads now serving (for tests of leaks). */
    public int threads() {
        return pool.getPoolSize();
    }
}
