package io.pyfleet.node.worker;

import io.pyfleet.client.WorkerLostException;

/**
 * The worker died while this call was still queued behind another one in its pipe.
 * The worker serves calls strictly in order, so this call never ran: the node may
 * safely give it to another worker.
 */
public class NotStartedException extends WorkerLostException {
    private static final long serialVersionUID = 1L;

    public NotStartedException(String message) {
        super(message, false);
    }
}
