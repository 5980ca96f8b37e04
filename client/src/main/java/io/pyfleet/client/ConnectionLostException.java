package io.pyfleet.client;

/**
 * The connection to the node broke (or could not be made) while the call was pending.
 * {@link #mayHaveRun()} says whether the request had been sent: such a call is never
 * resent behind the caller's back.
 */
public class ConnectionLostException extends PyFleetException {
    private static final long serialVersionUID = 1L;
    /** Whether the request had been sent. */
    private final boolean mayHaveRun;

    /**
     * A lost connection.
     *
     * @param message    what happened, naming the setting or the remedy where there is one
     * @param mayHaveRun whether the request had been sent
     */
    public ConnectionLostException(String message, boolean mayHaveRun) {
        super(message);
        this.mayHaveRun = mayHaveRun;
    }

    /**
     * A lost connection, with its cause.
     *
     * @param message    what happened, naming the setting or the remedy where there is one
     * @param mayHaveRun whether the request had been sent
     * @param cause      the I/O failure
     */
    public ConnectionLostException(String message, boolean mayHaveRun, Throwable cause) {
        super(message, cause);
        this.mayHaveRun = mayHaveRun;
    }

    /**
     * Whether the request had left this JVM: the call may have run on the node.
     *
     * @return true when it may have run; false when it surely did not
     */
    public boolean mayHaveRun() {
        return mayHaveRun;
    }
}
