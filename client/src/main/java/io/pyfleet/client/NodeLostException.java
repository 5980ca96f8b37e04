package io.pyfleet.client;

/** The node that owned the call or handle left the cluster or became unreachable. */
public class NodeLostException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    public NodeLostException(String message) {
        super(message);
    }
}
