package io.pyfleet.client;

/**
 * The node that owned the call or object left the cluster, was downed or became unreachable.
 * {@link #mayHaveRun()} says whether the call may have started there: such a call is never run
 * again behind the caller's back (a cluster scatter re-runs items only when they are marked
 * idempotent).
 */
public class NodeLostException extends PyFleetException {
    private static final long serialVersionUID = 1L;
    /** Whether the call may have started on the lost node. */
    private final boolean mayHaveRun;

    /**
     * A lost node whose call may have run.
     *
     * @param message which node, and how it was lost
     */
    public NodeLostException(String message) {
        this(message, true);
    }

    /**
     * A lost node.
     *
     * @param message    which node, and how it was lost
     * @param mayHaveRun whether the call may have run there
     */
    public NodeLostException(String message, boolean mayHaveRun) {
        super(message);
        this.mayHaveRun = mayHaveRun;
    }

    /**
     * True when the call may have run, in part or whole, on the lost node.
     *
     * @return whether the call may have run
     */
    public boolean mayHaveRun() {
        return mayHaveRun;
    }

    @Override
    PyFleetException copy() {
        return new NodeLostException(getMessage(), mayHaveRun);
    }
}
