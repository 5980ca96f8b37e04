package io.pyfleet.client;

/**
 * The node refused at once, for a limit reached, and nothing ran: its call queue is full, or a
 * connection's uploaded arrays would pass {@code pyfleet.gateway.array-upload-max}.
 */
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
