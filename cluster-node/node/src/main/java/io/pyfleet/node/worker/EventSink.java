package io.pyfleet.node.worker;

import io.pyfleet.client.internal.OrderedEvents;

/**
 * Where a call's events go. Called on the worker's reader thread, so it must not block
 * or run user code: the node's sinks either record the value or hand it to the call's
 * own ordered delivery on the callback executor.
 */
public interface EventSink {
    /** One event of the call, in order. */
    void event(Object value);

    /** An event that arrived but could not be decoded. */
    default void undecodable(RuntimeException failure) {
    }

    /**
     * Runs {@code completion} after every event accepted so far has been delivered; the
     * default runs it at once.
     */
    default void thenComplete(Runnable completion) {
        completion.run();
    }

    /** The call ended abruptly (timeout, lost worker, close): drop what was not delivered yet. */
    default void abandon() {
    }

    /** A user consumer's events, delivered in order on the callback executor ({@link OrderedEvents}). */
    static EventSink ordered(OrderedEvents events) {
        return new EventSink() {
            @Override
            public void event(Object value) {
                events.event(value);
            }

            @Override
            public void undecodable(RuntimeException failure) {
                events.undecodable(failure);
            }

            @Override
            public void thenComplete(Runnable completion) {
                events.thenComplete(completion);
            }

            @Override
            public void abandon() {
                events.abandon();
            }
        };
    }
}
