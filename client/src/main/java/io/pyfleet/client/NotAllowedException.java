package io.pyfleet.client;

/** The node's allow-list ({@code pyfleet.gateway.allow}) does not let remote callers reach this; nothing ran. */
public class NotAllowedException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A refused operation.
     *
     * @param message what the allow-list refused
     */
    public NotAllowedException(String message) {
        super(message);
    }

    @Override
    PyFleetException copy() {
        return new NotAllowedException(getMessage());
    }
}
