package io.pyfleet.client;

/** User code in the worker raised: carries the remote exception type and its formatted traceback. */
public class PythonException extends PyFleetException {
    private static final long serialVersionUID = 1L;
    private final String pythonType;
    private final String pythonMessage;
    private final String pythonTraceback;

    public PythonException(String pythonType, String pythonMessage, String pythonTraceback) {
        super(pythonType + ": " + pythonMessage);
        this.pythonType = pythonType;
        this.pythonMessage = pythonMessage;
        this.pythonTraceback = pythonTraceback == null ? "" : pythonTraceback;
    }

    /** Qualified name of the Python exception class, e.g. {@code builtins.ZeroDivisionError}. */
    public String pythonType() {
        return pythonType;
    }

    public String pythonMessage() {
        return pythonMessage;
    }

    /** The traceback as Python's {@code traceback.format_exception} wrote it. */
    public String pythonTraceback() {
        return pythonTraceback;
    }
}
