package io.pyfleet.client;

import java.util.Objects;

/**
 * One item's outcome in an identical call or a scatter/gather: its value, or the error
 * it ended with. Exactly one of the two is present.
 */
public record Outcome(Object value, PyFleetException error) {

    public static Outcome ok(Object value) {
        return new Outcome(value, null);
    }

    public static Outcome failed(PyFleetException error) {
        return new Outcome(null, Objects.requireNonNull(error, "error"));
    }

    public boolean isOk() {
        return error == null;
    }

    /** The value, or the error thrown. */
    public Object get() {
        if (error != null) {
            throw error;
        }
        return value;
    }
}
