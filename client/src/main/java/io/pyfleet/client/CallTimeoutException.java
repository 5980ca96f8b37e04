package io.pyfleet.client;

/** The call overran its timeout; the worker that ran it was killed and is being replaced. */
public class CallTimeoutException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    public CallTimeoutException(String message) {
        super(message);
    }

    @Override
    PyFleetException copy() {
        return new CallTimeoutException(getMessage());
    }
}
