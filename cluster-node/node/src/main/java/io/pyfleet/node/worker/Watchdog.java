package io.pyfleet.node.worker;

import io.pyfleet.client.internal.CallbackExecutor;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that enforces call timeouts for every worker of this JVM: each tick it looks
 * at the call each worker is serving, instead of one scheduled task per call (which piled
 * up cancelled timers: 80 bytes a call for the whole timeout). Timeouts are thus precise
 * to a tick. The thread runs while some worker is alive and ends when none is.
 */
final class Watchdog {
    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);
    static final long TICK_NANOS = 10_000_000L;
    private static final Watchdog SHARED = new Watchdog();

    private final Set<WorkerProcess> watched = ConcurrentHashMap.newKeySet();
    private Thread thread;

    static Watchdog shared() {
        return SHARED;
    }

    synchronized void watch(WorkerProcess worker) {
        watched.add(worker);
        if (thread == null) {
            thread = new Thread(this::run, "pyfleet-watchdog");
            thread.setDaemon(true);
            thread.start();
        }
    }

    void forget(WorkerProcess worker) {
        watched.remove(worker);
    }

    private void run() {
        while (true) {
            synchronized (this) {
                if (watched.isEmpty()) {
                    thread = null;
                    return;
                }
            }
            long now = System.nanoTime();
            for (WorkerProcess worker : watched) {
                try {
                    worker.check(now);
                } catch (RuntimeException e) {
                    log.error("checking worker {} failed", worker.describe(), e);
                }
            }
            CallbackExecutor.checkAll(now);
            LockSupport.parkNanos(TICK_NANOS);
        }
    }
}
