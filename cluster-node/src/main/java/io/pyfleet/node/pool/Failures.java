package io.pyfleet.node.pool;

import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.WorkerLostException;
import java.util.concurrent.CompletionException;

/** How failures of futures become the typed errors a caller sees. */
final class Failures {
    private Failures() {
    }

    static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    static PyFleetException asPyFleet(Throwable failure) {
        Throwable cause = unwrap(failure);
        return cause instanceof PyFleetException p ? p
                : new WorkerLostException("the call failed in the node: " + cause, cause);
    }
}
