package io.pyfleet.client.internal;

import io.pyfleet.client.AuthenticationException;
import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.NodeLostException;
import io.pyfleet.client.NotAllowedException;
import io.pyfleet.client.OverloadedException;
import io.pyfleet.client.PoolFailedException;
import io.pyfleet.client.PoolStartException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.UnknownPoolException;
import io.pyfleet.client.WorkerLostException;

/**
 * Errors as they travel ({@link RemoteError}: kind, type, message, traceback) and the
 * exceptions callers see, both ways: a worker's error frame becomes an exception in the
 * node, and the gateway sends a node's exception to a remote client as an error frame
 * that the client turns back into the same exception type.
 */
public final class RemoteFailures {
    /** The {@code type} of a {@code worker_lost}, {@code node_lost} or {@code closed} error whose call may have started. */
    public static final String MAY_HAVE_RUN = "may_have_run";
    /** The {@code type} of a {@code worker_lost}, {@code node_lost} or {@code closed} error whose call never started. */
    public static final String NOT_RUN = "not_run";

    private RemoteFailures() {
    }

    /**
     * The exception a wire error stands for. Its stack trace is the error's Python frames (innermost first)
     * and nothing else: the thread that reads errors off a pipe or socket is no place the caller knows, and a
     * synchronous caller's copy ({@code Fleet.join}) adds its own frames below them.
     */
    public static PyFleetException toException(RemoteError error) {
        PyFleetException e = exception(error);
        StackTraceElement[] stack = new StackTraceElement[error.frames().size()];
        for (int i = 0; i < stack.length; i++) {
            stack[i] = error.frames().get(stack.length - 1 - i).toStackTraceElement();
        }
        e.setStackTrace(stack);
        return e;
    }

    private static PyFleetException exception(RemoteError error) {
        boolean mayHaveRun = !NOT_RUN.equals(error.type());
        return switch (error.kind()) {
            case "python" -> ApiAccess.newPythonException(error);
            case "stale_handle" -> new StaleHandleException(error.message());
            case "timeout" -> new CallTimeoutException(error.message());
            case "worker_lost" -> new WorkerLostException(error.message(), mayHaveRun);
            case "closed" -> new FleetClosedException(error.message(), mayHaveRun);
            case "overloaded" -> new OverloadedException(error.message());
            case "node_lost" -> new NodeLostException(error.message(), mayHaveRun);
            case "pool_failed" -> new PoolFailedException(error.message());
            case "pool_start" -> new PoolStartException(error.message());
            case "unknown_pool" -> new UnknownPoolException(error.message());
            case "not_allowed" -> new NotAllowedException(error.message());
            case "auth" -> new AuthenticationException(error.message());
            case "protocol" -> new ProtocolException(error.message());
            default -> new ProtocolException(error.kind() + " error: "
                    + (error.type() == null || error.type().isEmpty() ? "" : error.type() + ": ") + error.message());
        };
    }

    /** The error a node sends for an exception, which {@link #toException} turns back into its type. */
    public static RemoteError toRemoteError(Throwable failure) {
        Throwable f = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String message = String.valueOf(f.getMessage());
        if (f instanceof PythonException p) {
            return new RemoteError(RemoteError.PYTHON, p.pythonType(), p.pythonMessage(), p.pythonTraceback(),
                    ApiAccess.frames(p));
        }
        String kind;
        String type = "";
        if (f instanceof StaleHandleException) {
            kind = RemoteError.STALE_HANDLE;
        } else if (f instanceof CallTimeoutException) {
            kind = "timeout";
        } else if (f instanceof WorkerLostException w) {
            kind = "worker_lost";
            type = w.mayHaveRun() ? MAY_HAVE_RUN : NOT_RUN;
        } else if (f instanceof FleetClosedException c) {
            kind = "closed";
            type = c.mayHaveRun() ? MAY_HAVE_RUN : NOT_RUN;
        } else if (f instanceof OverloadedException) {
            kind = "overloaded";
        } else if (f instanceof NodeLostException n) {
            kind = "node_lost";
            type = n.mayHaveRun() ? MAY_HAVE_RUN : NOT_RUN;
        } else if (f instanceof PoolFailedException) {
            kind = "pool_failed";
        } else if (f instanceof PoolStartException) {
            kind = "pool_start";
        } else if (f instanceof UnknownPoolException) {
            kind = "unknown_pool";
        } else if (f instanceof NotAllowedException) {
            kind = "not_allowed";
        } else if (f instanceof AuthenticationException) {
            kind = "auth";
        } else if (f instanceof ProtocolException) {
            kind = RemoteError.PROTOCOL;
        } else {
            kind = "node";
            type = f.getClass().getName();
            message = "the node failed serving the call: " + f;
        }
        return new RemoteError(kind, type, message, "");
    }
}
