package io.pyfleet.client;

/** The node's call queue is full: the call was refused at once and never ran. */
public class OverloadedException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A call refused by a full queue.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     */
    public OverloadedException(String message) {
        super(message);
    }
}
