package io.pyfleet.client;

/** The call overran its timeout; the worker that ran it was killed and is being replaced. */
public class CallTimeoutException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A call that overran its timeout.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     */
    public CallTimeoutException(String message) {
        super(message);
    }
}
