package io.pyfleet.client;

/**
 * A named pool could not start: its interpreter is missing, a module it requires does not
 * import, or its workers died at start. The message names the node and the cause. Nothing
 * of the pool is left running.
 */
public class PoolStartException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A pool that could not start.
     *
     * @param message the node, the pool and the cause
     */
    public PoolStartException(String message) {
        super(message);
    }

    @Override
    PyFleetException copy() {
        return new PoolStartException(getMessage());
    }
}
