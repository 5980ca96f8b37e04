package io.pyfleet.node.pool;

import io.pyfleet.client.Call;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.config.PyfleetSettings.Strategy;
import io.pyfleet.protocol.Handle;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open lanes of a pool, published by the {@link Router} (the only writer) for
 * callers in the same JVM. A call takes a lane directly when the router has nothing
 * waiting — so calls never overtake queued ones — and a worker has room; otherwise it
 * goes through the router, which queues, applies back-pressure and answers failures.
 */
public final class Lanes {
    private final String node;
    private final Strategy strategy;
    private final int depth;
    private final AtomicInteger roundRobin = new AtomicInteger();
    private volatile Lane[] open = new Lane[0];
    /** Calls the router holds in its queues; while any wait, new calls queue behind them. */
    private volatile int waiting;
    private volatile boolean failed;

    public Lanes(PyfleetSettings settings) {
        this.node = settings.nodeName();
        this.strategy = settings.pool().strategy();
        this.depth = settings.pool().pipelineDepth();
    }

    /** A lane whose place is taken for this call, or null when the call must go through the router. */
    public Lane acquire(Call call) {
        if (waiting > 0 || failed) {
            return null;
        }
        Lane[] lanes = open;
        if (lanes.length == 0) {
            return null;
        }
        Handle owner;
        try {
            owner = Affinity.ownerOf(call);
        } catch (StaleHandleException mixed) {
            return null; // the router answers it
        }
        if (owner != null) {
            for (Lane lane : lanes) {
                if (lane.workerId.equals(owner.worker()) && lane.generation == owner.generation()
                        && node.equals(owner.node())) {
                    return lane.tryAcquire(depth) ? lane : null;
                }
            }
            return null;
        }
        int n = lanes.length;
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

    /**
     * One place on every open lane, for an identical call; null when the pool is not whole
     * (a worker restarting or draining) or the router has calls waiting: then the router runs it.
     */
    public Lane[] acquireAll(int poolSize) {
        Lane[] lanes = open;
        if (waiting > 0 || failed || lanes.length != poolSize) {
            return null;
        }
        for (int i = 0; i < lanes.length; i++) {
            if (!lanes[i].tryAcquire(Integer.MAX_VALUE)) {
                for (int j = 0; j < i; j++) {
                    lanes[j].inFlight.decrementAndGet();
                }
                return null;
            }
        }
        return lanes;
    }

    /** The open lane of the worker that owns a handle, its place taken whatever its load; or null. */
    public Lane acquireOwner(Handle handle) {
        if (!node.equals(handle.node())) {
            return null;
        }
        for (Lane lane : open) {
            if (lane.workerId.equals(handle.worker()) && lane.generation == handle.generation()) {
                return lane.tryAcquire(Integer.MAX_VALUE) ? lane : null;
            }
        }
        return null;
    }

    private static int leastLoaded(Lane[] lanes) {
        int best = 0;
        int least = Integer.MAX_VALUE;
        for (int i = 0; i < lanes.length; i++) {
            int load = lanes[i].inFlight.get();
            if (load < least) {
                least = load;
                best = i;
            }
        }
        return best;
    }

    /** Tells the router a lane freed a place, when it has a use for it: calls waiting, or a drain to finish. */
    public void freed(Lane lane, ActorRef<Router.Command> router) {
        if (!lane.open || waiting > 0) {
            router.tell(new Router.Freed(lane.workerId, lane.generation));
        }
    }

    void publish(Lane[] lanes) {
        this.open = lanes;
    }

    void setWaiting(int count) {
        this.waiting = count;
    }

    void setFailed() {
        this.failed = true;
    }
}
