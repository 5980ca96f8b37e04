package io.pyfleet.client;

/** The node's allow-list ({@code pyfleet.gateway.allow}) does not let remote callers reach this; nothing ran. */
public class NotAllowedException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A call the allow-list refused.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     */
    public NotAllowedException(String message) {
        super(message);
    }
}
