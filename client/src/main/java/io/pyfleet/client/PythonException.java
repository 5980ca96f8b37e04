package io.pyfleet.client;

/** User code in the worker raised: carries the remote exception type and its formatted traceback. */
public class PythonException extends PyFleetException {
    private static final long serialVersionUID = 1L;
    /** The exception class's qualified name. */
    private final String pythonType;
    /** The exception's message. */
    private final String pythonMessage;
    /** The formatted traceback. */
    private final String pythonTraceback;

    /**
     * An exception raised by Python code.
     *
     * @param pythonType      the exception class's qualified name
     * @param pythonMessage   its message ({@code str(e)})
     * @param pythonTraceback its formatted traceback; null: none
     */
    public PythonException(String pythonType, String pythonMessage, String pythonTraceback) {
        super(pythonType + ": " + pythonMessage);
        this.pythonType = pythonType;
        this.pythonMessage = pythonMessage;
        this.pythonTraceback = pythonTraceback == null ? "" : pythonTraceback;
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
     * @return {@code str(e)}
     */
    public String pythonMessage() {
        return pythonMessage;
    }

    /**
     * The traceback as Python's {@code traceback.format_exception} wrote it.
     *
     * @return the traceback; empty when there is none
     */
    public String pythonTraceback() {
        return pythonTraceback;
    }
}
