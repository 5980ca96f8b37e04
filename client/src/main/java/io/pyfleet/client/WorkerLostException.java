package io.pyfleet.client;

/**
 * The worker serving the call died (crash, signal, memory limit, exit) before it answered.
 * {@link #mayHaveRun()} says whether the call had started: such a call is never retried
 * behind the caller's back, since running it twice could do its effects twice.
 */
public class WorkerLostException extends PyFleetException {
    private static final long serialVersionUID = 1L;
    /** Whether the call had started. */
    private final boolean mayHaveRun;

    /**
     * A call that may have run when its worker died.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     */
    public WorkerLostException(String message) {
        this(message, true);
    }

    /**
     * A call lost with its worker.
     *
     * @param message    what happened, naming the setting or the remedy where there is one
     * @param mayHaveRun whether the call had started
     */
    public WorkerLostException(String message, boolean mayHaveRun) {
        super(message);
        this.mayHaveRun = mayHaveRun;
    }

    /**
     * A call that may have run when its worker died, with the cause.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     * @param cause   what caused it
     */
    public WorkerLostException(String message, Throwable cause) {
        super(message, cause);
        this.mayHaveRun = true;
    }

    /**
     * Whether the call may have run, in part or whole, before its worker died.
     *
     * @return true when it may have run; false when it surely did not
     */
    public boolean mayHaveRun() {
        return mayHaveRun;
    }
}
