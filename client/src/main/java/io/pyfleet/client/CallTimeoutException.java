package io.pyfleet.client;

/** The call overran its timeout; the worker that ran it was killed and is being replaced. */
public class CallTimeoutException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A call over its timeout.
     *
     * @param message the limit, the worker, and the setting that sets it
     */
    public CallTimeoutException(String message) {
        super(message);
    }

    @Override
    PyFleetException copy() {
        return new CallTimeoutException(getMessage());
    }
}
