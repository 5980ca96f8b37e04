package io.pyfleet.client;

/** The handle names an object its owner no longer holds (released, or its worker restarted). */
public class StaleHandleException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A call on an object that is gone.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     */
    public StaleHandleException(String message) {
        super(message);
    }
}
