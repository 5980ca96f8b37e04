package io.pyfleet.client;

/** The worker serving the call died (crash, signal, memory limit, exit) before it answered. */
public class WorkerLostException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    public WorkerLostException(String message) {
        super(message);
    }

    public WorkerLostException(String message, Throwable cause) {
        super(message, cause);
    }
}
