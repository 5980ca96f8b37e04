package io.pyfleet.client;

import java.util.Objects;

/**
 * One item's outcome in an identical call or a scatter/gather: its value, or the error
 * it ended with. Exactly one of the two is present.
 *
 * @param value the value (null when it failed, or when Python returned {@code None})
 * @param error the error it ended with, or null when it succeeded
 */
public record Outcome(Object value, PyFleetException error) {

    /**
     * A success.
     *
     * @param value its value
     * @return the outcome
     */
    public static Outcome ok(Object value) {
        return new Outcome(value, null);
    }

    /**
     * A failure.
     *
     * @param error what it ended with
     * @return the outcome
     */
    public static Outcome failed(PyFleetException error) {
        return new Outcome(null, Objects.requireNonNull(error, "error"));
    }

    /**
     * Whether it succeeded.
     *
     * @return true when there is no error
     */
    public boolean isOk() {
        return error == null;
    }

    /**
     * The value, or the error thrown.
     *
     * @return the value
     * @throws PyFleetException the error, when it failed
     */
    public Object get() {
        if (error != null) {
            throw error;
        }
        return value;
    }
}
