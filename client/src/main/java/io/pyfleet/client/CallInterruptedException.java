package io.pyfleet.client;

/**
 * The thread waiting for a call was interrupted. The thread's interrupt flag stays set;
 * the call itself goes on in its worker, and its outcome is dropped.
 */
public class CallInterruptedException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /**
     * An interrupted wait.
     *
     * @param message what was interrupted
     * @param cause   the interrupt
     */
    public CallInterruptedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    PyFleetException copy() {
        return new CallInterruptedException(getMessage(), this);
    }
}
