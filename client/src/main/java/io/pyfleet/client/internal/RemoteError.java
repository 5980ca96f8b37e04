package io.pyfleet.client.internal;

import java.util.Objects;

/**
 * An error as the worker reports it, in an error frame or as a value (ext 10).
 *
 * @param kind      {@code python}, {@code protocol}, {@code stale_handle} or {@code encode}
 * @param type      the qualified exception class, e.g. {@code builtins.ValueError}
 * @param message   the exception message
 * @param traceback the formatted traceback, possibly empty (never {@code null})
 */
public record RemoteError(String kind, String type, String message, String traceback) {
    /** Error kind: user code raised. */
    public static final String PYTHON = "python";
    /** Error kind: the request was malformed. */
    public static final String PROTOCOL = "protocol";
    /** Error kind: a handle the worker no longer holds. */
    public static final String STALE_HANDLE = "stale_handle";
    /** Error kind: the result could not be encoded. */
    public static final String ENCODE = "encode";

    /** Checks that no field is {@code null}. */
    public RemoteError {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(traceback, "traceback");
    }

    @Override
    public String toString() {
        return "RemoteError[" + kind + "] " + type + ": " + message;
    }
}
