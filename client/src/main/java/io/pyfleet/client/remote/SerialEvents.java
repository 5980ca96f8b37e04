package io.pyfleet.client.remote;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One remote call's event delivery. Exists because the socket reader must hand events
 * over without running user code, yet the user must see them in order, one at a time,
 * and all before the call's future completes: tasks queue here and at most one drain of
 * the queue runs on the callback executor at a time. A consumer that throws is logged and
 * keeps receiving. Past {@value #MAX_BACKLOG} undelivered events new ones are dropped with
 * a warning rather than held without bound (the reader never blocks on a slow consumer).
 */
final class SerialEvents {
    private static final Logger log = LoggerFactory.getLogger(SerialEvents.class);
    static final int MAX_BACKLOG = 100_000;

    private final Consumer<Object> consumer;
    private final Executor executor;
    private final String what;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private boolean draining;
    private long dropped;

    SerialEvents(Consumer<Object> consumer, Executor executor, String what) {
        this.consumer = consumer;
        this.executor = executor;
        this.what = what;
    }

    /** Queues one event for the consumer. */
    void event(Object value) {
        enqueue(() -> deliver(value), false);
    }

    /** Runs {@code completion} after every event queued before it has been delivered. */
    void thenRun(Runnable completion) {
        enqueue(completion, true);
    }

    private void deliver(Object value) {
        try {
            consumer.accept(value);
        } catch (RuntimeException e) {
            log.warn("the event consumer of {} threw; it keeps receiving events", what, e);
        }
    }

    private void enqueue(Runnable task, boolean always) {
        boolean start;
        synchronized (this) {
            if (!always && queue.size() >= MAX_BACKLOG) {
                if (dropped++ % 10_000 == 0) {
                    log.warn("{}: its event consumer is {} events behind; new events are dropped", what, MAX_BACKLOG);
                }
                return;
            }
            queue.addLast(task);
            start = !draining;
            draining = true;
        }
        if (start) {
            executor.execute(this::drain);
        }
    }

    private void drain() {
        while (true) {
            Runnable next;
            synchronized (this) {
                next = queue.pollFirst();
                if (next == null) {
                    draining = false;
                    return;
                }
            }
            next.run();
        }
    }
}
