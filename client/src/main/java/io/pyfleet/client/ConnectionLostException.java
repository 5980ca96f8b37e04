package io.pyfleet.client;

/**
 * The connection to the node broke (or could not be made) while the call was pending.
 * {@link #mayHaveRun()} says whether the request had been sent: such a call is never
 * resent behind the caller's back.
 */
public class ConnectionLostException extends PyFleetException {
    private static final long serialVersionUID = 1L;
    private final boolean mayHaveRun;

    public ConnectionLostException(String message, boolean mayHaveRun) {
        super(message);
        this.mayHaveRun = mayHaveRun;
    }

    public ConnectionLostException(String message, boolean mayHaveRun, Throwable cause) {
        super(message, cause);
        this.mayHaveRun = mayHaveRun;
    }

    /** True when the request had left this JVM: the call may have run on the node. */
    public boolean mayHaveRun() {
        return mayHaveRun;
    }

    @Override
    PyFleetException copy() {
        return new ConnectionLostException(getMessage(), mayHaveRun);
    }
}
