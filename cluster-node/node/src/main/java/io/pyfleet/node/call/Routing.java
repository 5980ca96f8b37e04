package io.pyfleet.node.call;

import io.pyfleet.client.internal.Handle;
import io.pyfleet.node.config.PyfleetSettings.Strategy;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one routing strategy of the node: which worker takes a call. A call on a handle
 * goes to the worker that owns it (affinity); any other call to an open worker below the
 * pipeline depth, chosen by least-in-flight, round-robin or random. Lock-free: a pick
 * takes its place on the lane with a compare-and-set.
 */
final class Routing {
    private final Strategy strategy;
    private final AtomicInteger roundRobin = new AtomicInteger();

    Routing(Strategy strategy) {
        this.strategy = strategy;
    }

    /** An open lane with a place taken below {@code depth}, or null when every one is full. */
    Lane pick(Lane[] lanes, int depth) {
        int n = lanes.length;
        if (n == 0) {
            return null;
        }
        int start = switch (strategy) {
            case ROUND_ROBIN -> Math.floorMod(roundRobin.getAndIncrement(), n);
            case RANDOM -> ThreadLocalRandom.current().nextInt(n);
            case LEAST_IN_FLIGHT -> leastLoaded(lanes);
        };
        for (int i = 0; i < n; i++) {
            Lane lane = lanes[(start + i) % n];
            if (lane.tryAcquire(depth)) {
                return lane;
            }
        }
        return null;
    }

    /** The lane of the worker generation that owns {@code handle}, or null when it no longer serves. */
    static Lane owner(Lane[] lanes, Handle handle) {
        Lane lane = ofWorker(lanes, handle.worker());
        return lane != null && lane.generation == handle.generation() ? lane : null;
    }

    /** The current lane of a worker slot, whatever its generation, or null. */
    static Lane ofWorker(Lane[] lanes, String workerId) {
        for (Lane lane : lanes) {
            if (lane.workerId.equals(workerId)) {
                return lane;
            }
        }
        return null;
    }

    private static int leastLoaded(Lane[] lanes) {
        int best = 0;
        int least = Integer.MAX_VALUE;
        for (int i = 0; i < lanes.length; i++) {
            int load = lanes[i].load();
            if (load < least) {
                least = load;
                best = i;
            }
        }
        return best;
    }
}
