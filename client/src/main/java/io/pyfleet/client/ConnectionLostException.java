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
     * A call whose connection broke.
     *
     * @param message    what broke
     * @param mayHaveRun whether the request had been sent
     */
    public ConnectionLostException(String message, boolean mayHaveRun) {
        super(message);
        this.mayHaveRun = mayHaveRun;
    }

    /**
     * A call whose connection broke, with the I/O failure.
     *
     * @param message    what broke
     * @param mayHaveRun whether the request had been sent
     * @param cause      the I/O failure
     */
    public ConnectionLostException(String message, boolean mayHaveRun, Throwable cause) {
        super(message, cause);
        this.mayHaveRun = mayHaveRun;
    }

    /**
     * True when the request had left this JVM: the call may have run on the node.
     *
     * @return whether the call may have run
     */
    public boolean mayHaveRun() {
        return mayHaveRun;
    }

    @Override
    PyFleetException copy() {
        return new ConnectionLostException(getMessage(), mayHaveRun);
    }
}
