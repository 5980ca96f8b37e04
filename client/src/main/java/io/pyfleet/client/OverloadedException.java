package io.pyfleet.client;

/** The node's call queue is full: the call was refused at once and never ran. */
public class OverloadedException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A refused call.
     *
     * @param message which limit was reached, its setting and what to do
     */
    public OverloadedException(String message) {
        super(message);
    }

    @Override
    PyFleetException copy() {
        return new OverloadedException(getMessage());
    }
}
