package io.pyfleet.client;

import io.pyfleet.client.internal.RemoteError;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * User code in the worker raised. Carries the Python exception's type, message and formatted traceback,
 * and its stack trace holds the Python frames (innermost first, as Java lists frames: declaring class the
 * module, method the function, file the source file's name, e.g. {@code at mymodel.fail_deep(mymodel.py:12)})
 * above the Java frames of the thread that asked, when that thread waited for the call (a synchronous
 * call). The exception a future fails with has the Python frames only.
 */
public class PythonException extends PyFleetException {
    private static final long serialVersionUID = 1L;
    /** See {@link #pythonType()}. */
    private final String pythonType;
    /** See {@link #pythonMessage()}. */
    private final String pythonMessage;
    /** See {@link #pythonTraceback()}. */
    private final String pythonTraceback;
    /**
     * As the worker sent them, outermost first: a node relays them unchanged. Not serialized (the stack trace,
     * which is, holds them); empty after deserialization.
     */
    private final transient List<RemoteError.Frame> frames;

    /**
     * A Python exception without frames.
     *
     * @param pythonType      the qualified class name, e.g. {@code builtins.ValueError}
     * @param pythonMessage   the exception's message
     * @param pythonTraceback the formatted traceback (null: none)
     */
    public PythonException(String pythonType, String pythonMessage, String pythonTraceback) {
        this(pythonType, pythonMessage, pythonTraceback, List.of());
    }

    PythonException(String pythonType, String pythonMessage, String pythonTraceback, List<RemoteError.Frame> frames) {
        super(pythonType + ": " + pythonMessage);
        this.pythonType = pythonType;
        this.pythonMessage = pythonMessage;
        this.pythonTraceback = pythonTraceback == null ? "" : pythonTraceback;
        this.frames = List.copyOf(frames);
    }

    /**
     * The Python exception's class.
     *
     * @return its qualified name, e.g. {@code builtins.ZeroDivisionError}
     */
    public String pythonType() {
        return pythonType;
    }

    /**
     * The Python exception's message.
     *
     * @return {@code str()} of the exception, e.g. {@code 'missing-key-1'} of a {@code KeyError}
     */
    public String pythonMessage() {
        return pythonMessage;
    }

    /**
     * The traceback as Python wrote it.
     *
     * @return the text of {@code traceback.format_exception}, chained exceptions included; empty when none
     */
    public String pythonTraceback() {
        return pythonTraceback;
    }

    /**
     * The Python frames of the traceback, innermost first (the order of {@link #getStackTrace()}, whose
     * first elements they are), without the worker's own dispatch frames; empty when the error arose outside
     * Python code (a builtin called directly).
     *
     * @return {@code module.function(file:line)} elements, e.g. {@code mymodel.fail_deep(mymodel.py:12)}
     */
    public List<StackTraceElement> pythonFrames() {
        List<RemoteError.Frame> wire = wireFrames();
        List<StackTraceElement> out = new ArrayList<>(wire.size());
        for (int i = wire.size() - 1; i >= 0; i--) {
            out.add(wire.get(i).toStackTraceElement());
        }
        return Collections.unmodifiableList(out);
    }

    List<RemoteError.Frame> wireFrames() {
        return frames == null ? List.of() : frames;
    }

    @Override
    PyFleetException copy() {
        return new PythonException(pythonType, pythonMessage, pythonTraceback, wireFrames());
    }
}
