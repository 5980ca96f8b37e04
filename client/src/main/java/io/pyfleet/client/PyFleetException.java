package io.pyfleet.client;

import java.util.List;

/**
 * The root of every failure pyfleet reports to its caller. Unchecked: a call either
 * returns its value or throws one of the subclasses, each for one kind of outcome.
 *
 * <p>A synchronous call throws a copy of the exception its future failed with (same type and fields)
 * whose stack trace is the Python frames, if any, then the calling thread's own frames, and whose cause is
 * that exception: the stack shows where the call was made, not the internal thread that ended it. A
 * program's own subclass (thrown by a {@link Fleet} it implements or wraps, say) is rethrown as it is, so
 * that its catch finds it.
 */
public class PyFleetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A failure with a message.
     *
     * @param message what failed, naming the setting and the remedy where one applies
     */
    public PyFleetException(String message) {
        super(message);
    }

    /**
     * A failure with a message and its cause.
     *
     * @param message what failed
     * @param cause   the underlying failure
     */
    public PyFleetException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * A new exception of this type with this one's fields, its cause not yet set (or set to this one). Each
     * API type overrides it; a type of pyfleet's outside the API package (an implementation's subclass) gets
     * its public type's copy.
     */
    PyFleetException copy() {
        return new PyFleetException(getMessage());
    }

    /**
     * This exception as the thread that waited for it throws it: a {@link #copy()} whose stack is the Python
     * frames then the waiting thread's own frames (pyfleet's wait frames left out), caused by this one; a
     * subclass outside pyfleet (a program's own, thrown by a Fleet it implements) as it is.
     */
    final PyFleetException forCaller() {
        if (!getClass().getName().startsWith("io.pyfleet.")) {
            return this; // a program's own subclass: its copy would be of another type, which its catch misses
        }
        PyFleetException copy = copy();
        if (copy.getCause() == null) {
            copy.initCause(this);
        }
        List<StackTraceElement> python = copy instanceof PythonException p ? p.pythonFrames() : List.of();
        copy.setStackTrace(CallerFrames.below(python));
        return copy;
    }
}
