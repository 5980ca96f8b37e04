package io.pyfleet.client;


/** Turns an error reported by a worker into the exception the caller sees. */
public final class RemoteFailures {
    private RemoteFailures() {
    }

    public static PyFleetException toException(RemoteError error) {
        return switch (error.kind()) {
            case "python" -> new PythonException(error.type(), error.message(), error.traceback());
            case "stale_handle" -> new StaleHandleException(error.message());
            case "timeout" -> new CallTimeoutException(error.message());
            case "worker_lost" -> new WorkerLostException(error.message());
            case "overloaded" -> new OverloadedException(error.message());
            case "node_lost" -> new NodeLostException(error.message());
            case "pool_failed" -> new PoolFailedException(error.message());
            default -> new ProtocolException(error.kind() + " error: "
                    + (error.type() == null || error.type().isEmpty() ? "" : error.type() + ": ") + error.message());
        };
    }
}
