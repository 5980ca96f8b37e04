package io.pyfleet.client;

/**
 * The root of every failure pyfleet reports to its caller. Unchecked: a call either
 * returns its value or throws one of the subclasses, each for one kind of outcome.
 */
public class PyFleetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PyFleetException(String message) {
        super(message);
    }

    public PyFleetException(String message, Throwable cause) {
        super(message, cause);
    }
}
