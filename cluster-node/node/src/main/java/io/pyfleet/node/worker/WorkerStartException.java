package io.pyfleet.node.worker;

import io.pyfleet.client.PyFleetException;

/**
 * A worker process could not be started: the interpreter is missing, lacks a package,
 * crashed on start-up or did not say hello in time. The message names the interpreter
 * and, where known, the fix.
 */
public class WorkerStartException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    public WorkerStartException(String message) {
        super(message);
    }

    public WorkerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
