package io.pyfleet.client;

/** The gateway handshake failed: a wrong or missing token, or a node that could not prove it holds it. */
public class AuthenticationException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A refused handshake.
     *
     * @param message why, naming the node
     */
    public AuthenticationException(String message) {
        super(message);
    }

    @Override
    PyFleetException copy() {
        return new AuthenticationException(getMessage());
    }
}
