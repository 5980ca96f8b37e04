package io.pyfleet.client;

/**
 * A call or a pool operation named a pool the node does not run (never started, or stopped),
 * or a node this fleet cannot reach. A call that fails so was not run.
 */
public class UnknownPoolException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A call or operation naming an unknown pool.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     */
    public UnknownPoolException(String message) {
        super(message);
    }
}
