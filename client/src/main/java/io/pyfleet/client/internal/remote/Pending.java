package io.pyfleet.client.internal.remote;

import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A request waiting for its reply on a connection. Exists to keep in one place what the
 * reader needs to finish a call: how to turn the reply into the caller's type, where its
 * events go, and whether its bytes were handed to the socket (which decides
 * {@code mayHaveRun} if the connection breaks). Each pending call is finished once, by
 * whoever removes it from the connection's table.
 */
final class Pending<T> {
    final CompletableFuture<T> future;
    final String what;
    private final Function<Object, T> decode;
    private final io.pyfleet.client.internal.OrderedEvents events;
    /** Outcomes of a scatter or identical streamed as events ({@code [index, outcome]} lists), or null. */
    private final StreamedOutcomes items;
    /** Set just before the request's bytes are written: from then on the call may have run. */
    volatile boolean written;

    Pending(CompletableFuture<T> future, String what, Function<Object, T> decode,
            io.pyfleet.client.internal.OrderedEvents events) {
        this(future, what, decode, events, null);
    }

    Pending(CompletableFuture<T> future, String what, Function<Object, T> decode,
            io.pyfleet.client.internal.OrderedEvents events, StreamedOutcomes items) {
        this.future = future;
        this.what = what;
        this.decode = decode;
        this.events = events;
        this.items = items;
    }

    /** Whether the node should forward this call's events. */
    boolean wantsEvents() {
        return events != null;
    }

    void event(Object value) {
        if (items != null && value instanceof List<?>) {
            items.accept(value); // on the reader, in order: all are in before the reply is read
        } else if (events != null) {
            events.event(value);
        }
    }

    void reply(Object value) {
        T result;
        try {
            result = decode.apply(value);
        } catch (PyFleetException e) {
            fail(e);
            return;
        } catch (RuntimeException e) {
            fail(new ProtocolException("cannot read the node's reply to " + what + ": " + e, e));
            return;
        }
        finish(() -> future.complete(result));
    }

    void error(RemoteError error) {
        fail(RemoteFailures.toException(error));
    }

    void fail(PyFleetException failure) {
        finish(() -> future.completeExceptionally(failure));
    }

    /** Completes after the call's last event has been delivered, when it has a consumer. */
    private void finish(Runnable completion) {
        if (events != null) {
            events.thenComplete(completion);
        } else {
            completion.run();
        }
    }
}
