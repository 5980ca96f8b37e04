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
    private final Outcome[] outcomes;
    private final FleetFuture<List<Outcome>> result;
    private int missing;

    Gather(int size, Executor callbacks) {
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
            outcomes[index] = outcome;
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
