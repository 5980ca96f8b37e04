package io.pyfleet.node.call;

import io.pyfleet.node.worker.PendingCall;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Calls submitted by one thread in a burst without blocking (the gateway handling the
 * requests of one read): held in their workers' outboxes, then each worker's share written
 * with one pipe write instead of one per call. Order is kept: the outbox is one queue.
 */
final class WriteBatch {
    /** The lanes this thread left calls in during {@link #run}, or null outside one. */
    private static final ThreadLocal<Set<Lane>> CURRENT = new ThreadLocal<>();

    private WriteBatch() {
    }

    /** Leaves the call in its worker's outbox for the end of the batch; false when no batch is open here. */
    static boolean hold(Lane lane, PendingCall call) {
        Set<Lane> lanes = CURRENT.get();
        if (lanes == null) {
            return false;
        }
        lane.process.leave(call);
        lanes.add(lane);
        return true;
    }

    /** Runs {@code submissions} as one batch (nested batches join the outer one). */
    static void run(Runnable submissions) {
        if (CURRENT.get() != null) {
            submissions.run();
            return;
        }
        Set<Lane> lanes = new LinkedHashSet<>();
        CURRENT.set(lanes);
        try {
            submissions.run();
        } finally {
            CURRENT.remove();
            for (Lane lane : lanes) {
                lane.process.drainWithoutBlocking();
            }
        }
    }
}
