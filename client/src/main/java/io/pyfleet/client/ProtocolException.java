package io.pyfleet.client;

/** A frame or value broke the wire protocol (malformed, oversize, unknown type, unsupported value). */
public class ProtocolException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    PyFleetException copy() {
        return new ProtocolException(getMessage());
    }
}
