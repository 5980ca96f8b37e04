package io.pyfleet.client;

/** A frame or value broke the wire protocol (malformed, oversize, unknown type, unsupported value). */
public class ProtocolException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A protocol violation.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     */
    public ProtocolException(String message) {
        super(message);
    }

    /**
     * A protocol violation, with its cause.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     * @param cause   what caused it
     */
    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
