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
     * A call that may have run on the lost node.
     *
     * @param message what happened, naming the setting or the remedy where there is one
     */
    public NodeLostException(String message) {
        this(message, true);
    }

    /**
     * A call or object lost with its node.
     *
     * @param message    what happened, naming the setting or the remedy where there is one
     * @param mayHaveRun whether the call may have started there
     */
    public NodeLostException(String message, boolean mayHaveRun) {
        super(message);
        this.mayHaveRun = mayHaveRun;
    }

    /**
     * Whether the call may have run, in part or whole, on the lost node.
     *
     * @return true when it may have run; false when it surely did not
     */
    public boolean mayHaveRun() {
        return mayHaveRun;
    }
}
