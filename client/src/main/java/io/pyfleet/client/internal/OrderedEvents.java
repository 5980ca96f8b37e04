package io.pyfleet.client.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one call's events to its user consumer in order, on the callback executor,
 * one at a time; the call's completion comes after its last event. A consumer that throws
 * is logged and keeps receiving; one that blocks holds up only this call's events. Past
 * {@value #MAX_BACKLOG} undelivered events, new ones are dropped with a warning rather
 * than kept without bound.
 */
public final class OrderedEvents {
    private static final Logger log = LoggerFactory.getLogger(OrderedEvents.class);
    static final int MAX_BACKLOG = 100_000;

    private final Consumer<Object> consumer;
    private final Executor executor;
    private final String what;
    private final ArrayDeque<Runnable> backlog = new ArrayDeque<>();
    private boolean running;
    private boolean abandoned;
    private long dropped;

    public OrderedEvents(Consumer<Object> consumer, Executor executor, String what) {
        this.consumer = consumer;
        this.executor = executor;
        this.what = what;
    }

    /** Queues one event for the consumer; never blocks, never runs it on this thread. */
    public void event(Object value) {
        enqueue(() -> deliver(value), false);
    }

    /** An event that arrived but could not be decoded: logged. */
    public void undecodable(RuntimeException failure) {
        log.warn("{}: {}", what, failure.getMessage());
    }

    /** Runs {@code completion} after every event queued before it has been delivered. */
    public void thenComplete(Runnable completion) {
        enqueue(completion, true);
    }

    /** The call ended abruptly: events not delivered yet are dropped. */
    public void abandon() {
        long lost;
        synchronized (this) {
            abandoned = true;
            lost = backlog.size();
            backlog.clear();
        }
        if (lost > 0) {
            log.warn("{} ended before {} of its events were delivered; they were dropped", what, lost);
        }
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
            if (abandoned) {
                return;
            }
            if (!always && backlog.size() >= MAX_BACKLOG) {
                if (dropped++ % 10_000 == 0) {
                    log.warn("{}: its event consumer is {} events behind; dropping new events", what, MAX_BACKLOG);
                }
                return;
            }
            backlog.addLast(task);
            start = !running;
            running = true;
        }
        if (start) {
            executor.execute(this::drain);
        }
    }

    private void drain() {
        while (true) {
            Runnable next;
            synchronized (this) {
                next = backlog.pollFirst();
                if (next == null) {
                    running = false;
                    return;
                }
            }
            next.run();
        }
    }
}
