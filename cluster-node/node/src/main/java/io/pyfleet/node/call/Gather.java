package io.pyfleet.node.call;

import io.pyfleet.client.Outcome;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.internal.FleetFuture;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** Collects the outcomes of a fixed number of calls into one list, in their order. */
final class Gather {
    /** Kept instead of an outcome that was handed to {@link #each}: its value is not held here. */
    private static final Outcome PASSED_ON = Outcome.ok(null);
    private final Outcome[] outcomes;
    /** Takes each outcome as it comes (the gateway streams them), or null to gather them into the result. */
    private final java.util.function.BiConsumer<Integer, Outcome> each;
    private final FleetFuture<List<Outcome>> result;
    private int missing;

    Gather(int size, Executor callbacks) {
        this(size, callbacks, null);
    }

    /**
     * @param each when not null, takes each outcome as it comes, on the thread that ended it; the result then
     *             holds no values (only that every item ended), so the node keeps no item once it is passed on
     */
    Gather(int size, Executor callbacks, java.util.function.BiConsumer<Integer, Outcome> each) {
        this.each = each;
        this.outcomes = new Outcome[size];
        this.missing = size;
        this.result = new FleetFuture<>(callbacks);
        if (size == 0) {
            result.complete(List.of());
        }
    }

    /** Sets the outcome of {@code index} from a call's future when it ends. */
    void add(int index, CompletableFuture<Object> call) {
        call.whenComplete((value, failure) -> set(index, outcomeOf(value, failure)));
    }

    /** Sets an outcome; the first for an index counts. */
    void set(int index, Outcome outcome) {
        List<Outcome> done = null;
        synchronized (this) {
            if (outcomes[index] != null) {
                return;
            }
            outcomes[index] = each == null ? outcome : PASSED_ON;
            if (each != null) {
                each.accept(index, outcome); // under the lock: every item has left before the result completes
            }
            if (--missing == 0) {
                done = new ArrayList<>(Arrays.asList(outcomes));
            }
        }
        if (done != null) {
            result.complete(done);
        }
    }

    synchronized boolean isSet(int index) {
        return outcomes[index] != null;
    }

    FleetFuture<List<Outcome>> result() {
        return result;
    }

    /** A call's value or failure as an outcome; a failure that is not a pyfleet one is wrapped. */
    static Outcome outcomeOf(Object value, Throwable failure) {
        if (failure == null) {
            return Outcome.ok(value);
        }
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return Outcome.failed(cause instanceof PyFleetException p ? p
                : new PyFleetException("the call failed in the node: " + cause, cause));
    }
}
