package io.pyfleet.client;

/**
 * A call or a pool operation named a pool the node does not run (never started, or stopped),
 * or a node this fleet cannot reach. A call that fails so was not run.
 */
public class UnknownPoolException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * An unknown pool or node.
     *
     * @param message which pool or node
     */
    public UnknownPoolException(String message) {
        super(message);
    }

    @Override
    PyFleetException copy() {
        return new UnknownPoolException(getMessage());
    }
}
