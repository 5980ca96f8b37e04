package io.pyfleet.bench;

/** A measurement that went wrong (a call that failed, a pool that did not recover): the case has no figure. */
public final class BenchFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BenchFailure(String message) {
        super(message);
    }

    public BenchFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
