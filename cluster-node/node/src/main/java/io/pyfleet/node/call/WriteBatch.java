package io.pyfleet.node.call;

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

    /** True when a batch is open on this thread: it writes the lane's outbox at its end. */
    static boolean holds(Lane lane) {
        Set<Lane> lanes = CURRENT.get();
        if (lanes == null) {
            return false;
        }
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
