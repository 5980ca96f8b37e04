package io.pyfleet.client;

/**
 * The root of every failure pyfleet reports to its caller. Unchecked: a call either
 * returns its value or throws one of the subclasses, each for one kind of outcome.
 */
public class PyFleetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A failure.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     */
    public PyFleetException(String message) {
        super(message);
    }

    /**
     * A failure, with its cause.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     * @param cause   what caused it
     */
    public PyFleetException(String message, Throwable cause) {
        super(message, cause);
    }
}
