package io.pyfleet.client;

/** A frame or value broke the wire protocol (malformed, oversize, unknown type, unsupported value). */
public class ProtocolException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A broken frame or value.
     *
     * @param message what was wrong, and the setting and remedy for a limit
     */
    public ProtocolException(String message) {
        super(message);
    }

    /**
     * A broken frame or value, with the failure behind it.
     *
     * @param message what was wrong
     * @param cause   the failure behind it
     */
    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    PyFleetException copy() {
        return new ProtocolException(getMessage());
    }
}
