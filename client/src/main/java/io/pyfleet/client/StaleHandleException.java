package io.pyfleet.client;

/** The handle names an object its owner no longer holds (released, or its worker restarted). */
public class StaleHandleException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A stale handle.
     *
     * @param message which object, and why it is gone
     */
    public StaleHandleException(String message) {
        super(message);
    }

    @Override
    PyFleetException copy() {
        return new StaleHandleException(getMessage());
    }
}
