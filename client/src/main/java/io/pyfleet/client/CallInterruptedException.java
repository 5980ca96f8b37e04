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
     * @param message what happened, naming the setting or the remedy where there is one
     * @param cause   the {@link InterruptedException}
     */
    public CallInterruptedException(String message, Throwable cause) {
        super(message, cause);
    }
}
