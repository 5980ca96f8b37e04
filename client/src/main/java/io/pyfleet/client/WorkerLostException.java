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
     * A lost worker whose call may have run.
     *
     * @param message which worker, and how it died
     */
    public WorkerLostException(String message) {
        this(message, true);
    }

    /**
     * A lost worker.
     *
     * @param message    which worker, and how it died
     * @param mayHaveRun whether the call had started
     */
    public WorkerLostException(String message, boolean mayHaveRun) {
        super(message);
        this.mayHaveRun = mayHaveRun;
    }

    /**
     * A lost worker whose call may have run, with the failure behind it.
     *
     * @param message which worker, and how it died
     * @param cause   the failure behind it
     */
    public WorkerLostException(String message, Throwable cause) {
        super(message, cause);
        this.mayHaveRun = true;
    }

    /**
     * True when the call may have run, in part or whole, before its worker died.
     *
     * @return whether the call may have run
     */
    public boolean mayHaveRun() {
        return mayHaveRun;
    }

    @Override
    PyFleetException copy() {
        return new WorkerLostException(getMessage(), mayHaveRun);
    }
}
