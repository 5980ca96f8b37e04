package io.pyfleet.client.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where user code attached to calls runs: continuations of call futures and event
 * consumers, and the node's own deferred writes; never a reader thread.
 *
 * <p>Built for many tiny tasks handed over by reader threads: a task is one lock-free
 * enqueue, and a thread that ran out of work spins briefly before it parks, so under load
 * the hand-over costs no wake-up (a thread pool that parks at once paid a futex wake per
 * call and halved the pipelined rate). When its queue stalls because every thread is
 * blocked in user code (a continuation making a synchronous call, a slow consumer), a
 * thread is added ({@link #checkStalled}, called every few milliseconds by the node's
 * watchdog, or by a remote fleet's timer), so a blocking callback holds up its own call only.
 * Threads above the base number end after a minute without work.
 */
public final class CallbackExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(CallbackExecutor.class);
    /** How long the oldest waiting task may wait while all threads are busy before one is added. */
    private static final long STALL_NANOS = 50_000_000L;
    private static final long SPIN_NANOS = 20000L;
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int MAX_THREADS = 1024;
    private static final Set<CallbackExecutor> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile CallbackExecutor shared;

    private final String name;
    private final int base;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedDeque<Thread> parked = new ConcurrentLinkedDeque<>();
    private final AtomicInteger threads = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicInteger spinning = new AtomicInteger();
    private final AtomicInteger counter = new AtomicInteger();
    private volatile long lastTaken = System.nanoTime();
    private volatile boolean shutdown;

    public CallbackExecutor(String name) {
        this.name = name;
        this.base = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        LIVE.add(this);
    }

    /** The executor of workers used without a node (tools, tests). */
    public static CallbackExecutor shared() {
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
        if (shutdown) {
            // Closed: run it here rather than lose an outcome (only close() and late readers get here).
            runSafely(task);
            return;
        }
        tasks.offer(task);
        if (shutdown && tasks.remove(task)) {
            runSafely(task); // closed meanwhile: its threads may be gone
            return;
        }
        Thread idle = parked.pollFirst();
        if (idle != null) {
            LockSupport.unpark(idle);
        } else if (threads.get() < base) {
            addThread();
        }
    }

    private void addThread() {
        int n = threads.incrementAndGet();
        if (n > MAX_THREADS) {
            threads.decrementAndGet();
            return;
        }
        Thread t = new Thread(this::work, name + "-" + counter.incrementAndGet());
        t.setDaemon(true);
        t.start();
    }

    private void work() {
        Thread me = Thread.currentThread();
        long idleSince = System.nanoTime();
        boolean countedOut = false;
        try {
            while (true) {
                Runnable task = tasks.poll();
                if (task != null) {
                    lastTaken = System.nanoTime();
                    busy.incrementAndGet();
                    try {
                        runSafely(task);
                    } finally {
                        busy.decrementAndGet();
                    }
                    idleSince = System.nanoTime();
                    continue;
                }
                if (shutdown) {
                    return;
                }
                if (spinning.get() == 0 && spinning.compareAndSet(0, 1)) {
                    long until = System.nanoTime() + SPIN_NANOS;
                    while (tasks.isEmpty() && System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    spinning.set(0);
                    if (!tasks.isEmpty()) {
                        continue;
                    }
                }
                parked.offerFirst(me);
                if (!tasks.isEmpty() || shutdown) {
                    parked.remove(me);
                    continue;
                }
                LockSupport.parkNanos(this, IDLE_NANOS);
                parked.remove(me);
                if (tasks.isEmpty() && System.nanoTime() - idleSince >= IDLE_NANOS && leave()) {
                    countedOut = true;
                    return;
                }
            }
        } finally {
            if (!countedOut) {
                threads.decrementAndGet();
            }
        }
    }

    /**
     * An idle thread above the base number ends: counted out first, then a last look at the
     * queue, so a task offered meanwhile (whose sender saw this thread) is not stranded.
     */
    private boolean leave() {
        int n = threads.get();
        if (n <= base || !threads.compareAndSet(n, n - 1)) {
            return false;
        }
        if (!tasks.isEmpty()) {
            threads.incrementAndGet();
            return false;
        }
        return true;
    }

    private void runSafely(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            log.error("a callback failed on {}", Thread.currentThread().getName(), e);
        }
    }

    /** Adds a thread when the queue has not moved for a while and every thread is busy. */
    public void checkStalled(long now) {
        if (shutdown || tasks.isEmpty() || now - lastTaken < STALL_NANOS) {
            return;
        }
        if (busy.get() >= threads.get() && parked.isEmpty() && threads.get() < MAX_THREADS) {
            lastTaken = now;
            addThread();
            log.debug("{}: every callback thread was blocked for {} ms; now {} threads", name,
                    STALL_NANOS / 1_000_000, threads.get());
        }
    }

    /** Runs what is queued, then lets the threads end; waits up to {@code millis} for them. */
    public void shutdown(long millis) {
        LIVE.remove(this);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!tasks.isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        shutdown = true;
        for (Thread t; (t = parked.pollFirst()) != null; ) {
            LockSupport.unpark(t);
        }
        while (threads.get() > busy.get() && System.nanoTime() < deadline) {
            for (Thread t; (t = parked.pollFirst()) != null; ) {
                LockSupport.unpark(t);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Checks every live executor; called by the watchdog. */
    public static void checkAll(long now) {
        for (CallbackExecutor e : LIVE) {
            e.checkStalled(now);
        }
    }

}
