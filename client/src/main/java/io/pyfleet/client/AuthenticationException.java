package io.pyfleet.client;

/** The gateway handshake failed: a wrong or missing token, or a node that could not prove it holds it. */
public class AuthenticationException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * A failed handshake.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     */
    public AuthenticationException(String message) {
        super(message);
    }
}
