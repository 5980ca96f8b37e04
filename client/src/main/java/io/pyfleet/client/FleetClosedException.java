package io.pyfleet.client;

/**
 * The fleet was closed: the call was refused, or it was pending when the fleet closed.
 * {@link #mayHaveRun()} tells which: a call already written to a worker may have run.
 */
public class FleetClosedException extends PyFleetException {
    private static final long serialVersionUID = 1L;
    /** Whether the call had reached a worker. */
    private final boolean mayHaveRun;

    /**
     * A call refused or ended by a closing fleet.
     *
     * @param message    what closed
     * @param mayHaveRun whether the call had reached a worker
     */
    public FleetClosedException(String message, boolean mayHaveRun) {
        super(message);
        this.mayHaveRun = mayHaveRun;
    }

    /**
     * True when the call had reached a worker before the fleet closed: it may have run.
     *
     * @return whether the call may have run
     */
    public boolean mayHaveRun() {
        return mayHaveRun;
    }

    @Override
    PyFleetException copy() {
        return new FleetClosedException(getMessage(), mayHaveRun);
    }
}
