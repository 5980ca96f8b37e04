package io.pyfleet.client;

/**
 * The worker pool gave up: workers died faster than the restart-intensity limit allows,
 * so the supervisor stopped restarting them instead of looping. Usually a broken
 * interpreter, a missing package or a module that crashes on import.
 */
public class PoolFailedException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A pool that gave up.
     *
     * @param message the pool and the cause
     */
    public PoolFailedException(String message) {
        super(message);
    }

    @Override
    PyFleetException copy() {
        return new PoolFailedException(getMessage());
    }
}
