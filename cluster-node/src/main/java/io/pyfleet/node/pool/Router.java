package io.pyfleet.node.pool;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.OverloadedException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolFailedException;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.config.PyfleetSettings.Strategy;
import io.pyfleet.protocol.Handle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The pool's front: takes calls, holds the bounded node queue, and hands each call to a
 * worker by the configured strategy (least-in-flight, round-robin, random), or to the
 * worker that owns a handle in it (affinity). It runs identical calls and scatter/gather
 * through one short-lived child job each, resizes the pool, and reports per-worker
 * statistics. Its child {@link WorkerSupervisor} starts and restarts the workers.
 *
 * <p>It is the only writer of the pool's {@link Lanes}: it opens a worker's lane when the
 * worker serves and closes it when the worker dies, drains or is removed. Callers in the
 * JVM write into an open lane directly while nothing waits here, so the router sees a
 * call only when it must queue, be requeued (it never ran), or fail.
 */
public final class Router extends AbstractBehavior<Router.Command> {

    /** What the router understands. */
    public sealed interface Command {
    }

    /** Run one call on some worker; exactly one {@link Outcome} goes to {@code replyTo}. */
    public record Submit(Call call, ActorRef<Outcome> replyTo) implements Command {
    }

    /** Run one call on the named worker, whatever its load (identical calls). */
    public record SubmitTo(String workerId, Call call, ActorRef<Outcome> replyTo) implements Command {
    }

    /** The same call on every serving worker: one outcome per worker, in worker order. */
    public record Identical(Call call, ActorRef<List<Outcome>> replyTo) implements Command {
    }

    /** Scatter/gather: one call per argument list; outcomes in input order. */
    public record Scatter(String function, List<? extends List<?>> argumentSets, CallOptions options,
            ActorRef<List<Outcome>> replyTo) implements Command {
    }

    /** Drop a handle in its owner (fire and forget: the owner may be gone already). */
    public record Release(Handle handle) implements Command {
    }

    /** Grow or shrink the pool; shrinking drains the removed workers' calls first. */
    public record Resize(int size) implements Command {
    }

    public record GetStats(ActorRef<PoolStats> replyTo) implements Command {
    }

    /** Kill the named worker's process, as a crash would (tests, operators). */
    public record KillWorker(String workerId, String reason) implements Command {
    }

    /** From a worker: it serves calls now, through this lane. */
    public record WorkerUp(String workerId, long generation, ActorRef<PythonWorker.Command> worker, long pid,
            Lane lane) implements Command {
    }

    /** From a worker: its process is gone. */
    public record WorkerDown(String workerId, long generation, String reason) implements Command {
    }

    /** A call on this worker ended while the router had calls waiting, or the worker drains. */
    public record Freed(String workerId, long generation) implements Command {
    }

    /** A call never ran: its worker died with it still queued in the pipe. It goes to another worker. */
    public record Requeue(String workerId, long generation, Submit submit) implements Command {
    }

    /** From the supervisor: a worker slot exists (added by a resize or at start). */
    public record SlotAdded(String workerId) implements Command {
    }

    /** From the supervisor: the restart intensity was exceeded. */
    public record PoolFailed(String reason) implements Command {
    }

    /** One worker slot as the router sees it. */
    private static final class Slot {
        final String id;
        final ArrayDeque<Submit> affinityQueue = new ArrayDeque<>();
        ActorRef<PythonWorker.Command> worker;
        Lane lane;
        Lane.Counters counters;
        long generation = -1;
        long pid = -1;
        boolean ready;
        boolean draining;
        int starts;

        Slot(String id) {
            this.id = id;
        }

        int inFlight() {
            Lane l = lane;
            return l == null ? 0 : l.inFlight.get();
        }
    }

    private final PyfleetSettings settings;
    private final Lanes lanes;
    private final ActorRef<WorkerSupervisor.Command> supervisor;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final List<Slot> order = new ArrayList<>();
    private final ArrayDeque<Submit> queue = new ArrayDeque<>();
    private final int depth;
    private final int queueBound;
    private int affinityQueued;
    private int roundRobin;
    private int targetSize;
    private String failed;
    private long jobs;

    public static Behavior<Command> create(PyfleetSettings settings, Lanes lanes) {
        return Behaviors.setup(context -> new Router(context, settings, lanes));
    }

    private Router(ActorContext<Command> context, PyfleetSettings settings, Lanes lanes) {
        super(context);
        this.settings = settings;
        this.lanes = lanes;
        this.depth = settings.pool().pipelineDepth();
        this.queueBound = settings.pool().queueBound();
        this.targetSize = settings.pool().size();
        this.supervisor = context.spawn(WorkerSupervisor.create(settings, context.getSelf(), lanes), "workers");
        supervisor.tell(new WorkerSupervisor.AddWorkers(targetSize));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Submit.class, this::onSubmit)
                .onMessage(Freed.class, this::onFreed)
                .onMessage(Requeue.class, this::onRequeue)
                .onMessage(SubmitTo.class, this::onSubmitTo)
                .onMessage(Identical.class, this::onIdentical)
                .onMessage(Scatter.class, this::onScatter)
                .onMessage(Release.class, this::onRelease)
                .onMessage(WorkerUp.class, this::onWorkerUp)
                .onMessage(WorkerDown.class, this::onWorkerDown)
                .onMessage(SlotAdded.class, this::onSlotAdded)
                .onMessage(Resize.class, this::onResize)
                .onMessage(GetStats.class, this::onGetStats)
                .onMessage(KillWorker.class, this::onKillWorker)
                .onMessage(PoolFailed.class, this::onPoolFailed)
                .build();
    }

    private Behavior<Command> onSubmit(Submit submit) {
        if (failed != null) {
            submit.replyTo().tell(Outcome.failed(new PoolFailedException(failed)));
            return this;
        }
        Handle owner;
        try {
            owner = Affinity.ownerOf(submit.call());
        } catch (StaleHandleException e) {
            submit.replyTo().tell(Outcome.failed(e));
            return this;
        }
        if (owner != null) {
            submitToOwner(submit, owner);
            return done();
        }
        Slot slot = pick();
        if (slot != null) {
            send(slot, submit);
        } else if (queue.size() + affinityQueued >= queueBound) {
            submit.replyTo().tell(Outcome.failed(overloaded()));
        } else {
            queue.addLast(submit);
        }
        return done();
    }

    private void submitToOwner(Submit submit, Handle owner) {
        Slot slot = slots.get(owner.worker());
        String stale = staleness(owner, slot);
        if (stale != null) {
            submit.replyTo().tell(Outcome.failed(new StaleHandleException(stale)));
        } else if (slot.ready && slot.inFlight() < depth && slot.affinityQueue.isEmpty()) {
            send(slot, submit);
        } else if (queue.size() + affinityQueued >= queueBound) {
            submit.replyTo().tell(Outcome.failed(overloaded()));
        } else {
            slot.affinityQueue.addLast(submit);
            affinityQueued++;
        }
    }

    /** Why a handle can no longer be used, or null when its owner still holds it. */
    private String staleness(Handle handle, Slot slot) {
        if (!handle.node().equals(settings.nodeName())) {
            return "handle " + handle.id() + " belongs to node " + handle.node() + ", not " + settings.nodeName();
        }
        if (slot == null) {
            return "handle " + handle.id() + " belongs to worker " + handle.worker() + ", which is not in the pool";
        }
        if (slot.generation != handle.generation() || !slot.ready) {
            return "handle " + handle.id() + " (" + handle.type() + ") belongs to generation " + handle.generation()
                    + " of worker " + handle.worker() + ", which was restarted: the object is gone";
        }
        if (slot.draining) {
            return "handle " + handle.id() + " belongs to worker " + handle.worker()
                    + ", which is being removed from the pool";
        }
        return null;
    }

    private OverloadedException overloaded() {
        return new OverloadedException("the node queue is full (" + queueBound + " calls waiting); call refused");
    }

    private void send(Slot slot, Submit submit) {
        slot.lane.inFlight.incrementAndGet();
        slot.worker.tell(new PythonWorker.Execute(submit.call(), submit.replyTo()));
    }

    /** A worker that can take a call now by the strategy, or null when all are full. */
    private Slot pick() {
        int n = order.size();
        switch (settings.pool().strategy()) {
            case ROUND_ROBIN -> {
                for (int i = 0; i < n; i++) {
                    Slot s = order.get((roundRobin + i) % n);
                    if (canTake(s)) {
                        roundRobin = (roundRobin + i + 1) % n;
                        return s;
                    }
                }
                return null;
            }
            case RANDOM -> {
                int start = n == 0 ? 0 : ThreadLocalRandom.current().nextInt(n);
                for (int i = 0; i < n; i++) {
                    Slot s = order.get((start + i) % n);
                    if (canTake(s)) {
                        return s;
                    }
                }
                return null;
            }
            default -> {
                Slot best = null;
                for (int i = 0; i < n; i++) {
                    Slot s = order.get(i);
                    if (canTake(s) && (best == null || s.inFlight() < best.inFlight())) {
                        best = s;
                    }
                }
                return best;
            }
        }
    }

    private boolean canTake(Slot s) {
        return s.ready && !s.draining && s.inFlight() < depth;
    }

    private Behavior<Command> onFreed(Freed freed) {
        Slot slot = slots.get(freed.workerId());
        if (slot != null && slot.generation == freed.generation()) {
            fill(slot);
        }
        return done();
    }

    private Behavior<Command> onRequeue(Requeue requeue) {
        Slot slot = slots.get(requeue.workerId());
        if (slot != null && slot.generation == requeue.generation() && slot.lane != null) {
            // A call that never ran means its worker is dead, whatever news is still on its way.
            slot.ready = false;
            slot.lane.open = false;
            publishLanes();
        }
        queue.addFirst(requeue.submit());
        drainQueueInto(null);
        return done();
    }

    /**
     * Publishes how many calls wait, then looks for room once more: a lane freed between
     * the two would otherwise not know the router waits, and its call would stay queued.
     */
    private Behavior<Command> done() {
        lanes.setWaiting(queue.size() + affinityQueued);
        if (queue.size() + affinityQueued > 0) {
            for (Slot slot : order) {
                fill(slot);
            }
            lanes.setWaiting(queue.size() + affinityQueued);
        }
        return this;
    }

    private void publishLanes() {
        lanes.publish(order.stream().filter(s -> s.ready && !s.draining && s.lane != null && s.lane.open)
                .map(s -> s.lane).toArray(Lane[]::new));
    }

    /** Gives a worker that has room its own affinity calls first, then calls from the node queue. */
    private void fill(Slot slot) {
        if (!slot.ready) {
            return;
        }
        while (slot.inFlight() < depth && !slot.affinityQueue.isEmpty()) {
            affinityQueued--;
            send(slot, slot.affinityQueue.pollFirst());
        }
        if (slot.draining) {
            if (slot.inFlight() == 0 && slot.affinityQueue.isEmpty()) {
                supervisor.tell(new WorkerSupervisor.RemoveWorker(slot.id));
                removeSlot(slot);
            }
            return;
        }
        if (!queue.isEmpty()) {
            drainQueueInto(slot);
        }
    }

    private void drainQueueInto(Slot preferred) {
        while (!queue.isEmpty()) {
            Submit next = queue.peekFirst();
            Handle owner;
            try {
                owner = Affinity.ownerOf(next.call());
            } catch (StaleHandleException e) {
                queue.pollFirst();
                next.replyTo().tell(Outcome.failed(e));
                continue;
            }
            if (owner != null) {
                queue.pollFirst();
                submitToOwner(next, owner);
                continue;
            }
            Slot slot = preferred != null && canTake(preferred) && settings.pool().strategy() == Strategy.LEAST_IN_FLIGHT
                    ? preferred : pick();
            if (slot == null) {
                return;
            }
            queue.pollFirst();
            send(slot, next);
        }
    }

    private Behavior<Command> onSubmitTo(SubmitTo submit) {
        Slot slot = slots.get(submit.workerId());
        if (failed != null) {
            submit.replyTo().tell(Outcome.failed(new PoolFailedException(failed)));
        } else if (slot == null || !slot.ready) {
            submit.replyTo().tell(Outcome.failed(new WorkerLostException("worker " + submit.workerId()
                    + " is not serving")));
        } else {
            send(slot, new Submit(submit.call(), submit.replyTo()));
        }
        return this;
    }

    private Behavior<Command> onIdentical(Identical identical) {
        List<String> serving = order.stream().filter(s -> s.ready && !s.draining).map(s -> s.id).toList();
        if (failed != null || serving.isEmpty()) {
            String why = failed != null ? failed : "no worker is serving";
            identical.replyTo().tell(List.of(Outcome.failed(failed != null ? new PoolFailedException(why)
                    : new WorkerLostException(why))));
            return this;
        }
        Duration timeout = timeoutOf(identical.call().options()).plus(settings.worker().startTimeout());
        getContext().spawn(IdenticalCallJob.create(identical.call(), serving, getContext().getSelf(), timeout,
                identical.replyTo()), "identical-" + (++jobs));
        return this;
    }

    private Behavior<Command> onScatter(Scatter scatter) {
        getContext().spawn(ScatterJob.create(scatter.function(), scatter.argumentSets(), scatter.options(),
                Math.max(1, (int) order.stream().filter(s -> s.ready).count()), getContext().getSelf(),
                settings.scatter().jobTimeout(), scatter.replyTo()), "scatter-" + (++jobs));
        return this;
    }

    private Duration timeoutOf(CallOptions options) {
        return options.timeout() != null ? options.timeout() : settings.pool().callTimeout();
    }

    private Behavior<Command> onRelease(Release release) {
        Handle h = release.handle();
        Slot slot = slots.get(h.worker());
        if (slot != null && slot.ready && slot.generation == h.generation() && h.node().equals(settings.nodeName())) {
            Call call = new Call("release", null, List.of(h.id()), null, null, null);
            send(slot, new Submit(call, getContext().getSystem().ignoreRef()));
        }
        return this;
    }

    private Behavior<Command> onWorkerUp(WorkerUp up) {
        Slot slot = slots.get(up.workerId());
        if (slot == null) {
            // Removed while it was starting.
            up.worker().tell(new PythonWorker.Kill("removed from the pool"));
            return this;
        }
        slot.worker = up.worker();
        slot.lane = up.lane();
        slot.counters = up.lane().counters;
        slot.generation = up.generation();
        slot.pid = up.pid();
        slot.ready = true;
        slot.starts++;
        getContext().getLog().debug("worker {} generation {} serving (pid {})", up.workerId(), up.generation(),
                up.pid());
        publishLanes();
        fill(slot);
        return done();
    }

    private Behavior<Command> onWorkerDown(WorkerDown down) {
        Slot slot = slots.get(down.workerId());
        if (slot == null || slot.generation != down.generation() && slot.ready) {
            return this;
        }
        if (slot.worker != null) {
            slot.worker.tell(new PythonWorker.Retire());
        }
        if (slot.lane != null) {
            slot.lane.open = false;
        }
        slot.ready = false;
        slot.worker = null;
        slot.lane = null;
        slot.pid = -1;
        publishLanes();
        // Calls waiting for this worker's objects can never run: those objects died with it.
        while (!slot.affinityQueue.isEmpty()) {
            affinityQueued--;
            slot.affinityQueue.pollFirst().replyTo().tell(Outcome.failed(new StaleHandleException(
                    "the worker holding the object died (" + down.reason() + "); the object is gone")));
        }
        if (slot.draining) {
            supervisor.tell(new WorkerSupervisor.RemoveWorker(slot.id));
            removeSlot(slot);
        }
        return done();
    }

    private Behavior<Command> onSlotAdded(SlotAdded added) {
        Slot slot = new Slot(added.workerId());
        slots.put(slot.id, slot);
        order.add(slot);
        return this;
    }

    private void removeSlot(Slot slot) {
        slots.remove(slot.id);
        order.remove(slot);
        publishLanes();
    }

    private Behavior<Command> onResize(Resize resize) {
        int wanted = resize.size();
        long active = order.stream().filter(s -> !s.draining).count();
        targetSize = wanted;
        if (wanted > active) {
            supervisor.tell(new WorkerSupervisor.AddWorkers((int) (wanted - active)));
        } else if (wanted < active) {
            // Remove the least useful first: not serving, then the least loaded, newest slots first.
            List<Slot> candidates = new ArrayList<>(order.stream().filter(s -> !s.draining).toList());
            java.util.Collections.reverse(candidates);
            candidates.sort(java.util.Comparator.comparing((Slot s) -> s.ready).thenComparingInt(Slot::inFlight));
            for (Slot s : candidates.subList(0, (int) (active - wanted))) {
                s.draining = true;
                if (s.lane != null) {
                    s.lane.open = false;
                }
                publishLanes();
                getContext().getLog().info("draining worker {} ({} calls in flight)", s.id, s.inFlight());
                if (!s.ready || s.inFlight() == 0) {
                    fill(s);
                    if (!s.ready) {
                        supervisor.tell(new WorkerSupervisor.RemoveWorker(s.id));
                        removeSlot(s);
                    }
                }
            }
        }
        return done();
    }

    private Behavior<Command> onGetStats(GetStats get) {
        List<PoolStats.WorkerStats> workers = order.stream().map(s -> new PoolStats.WorkerStats(s.id, s.pid,
                s.ready && !s.draining, s.inFlight(), count(s, s.counters == null ? null : s.counters.calls),
                count(s, s.counters == null ? null : s.counters.errors),
                Duration.ofNanos(count(s, s.counters == null ? null : s.counters.busyNanos)),
                Math.max(0, s.starts - 1))).toList();
        get.replyTo().tell(new PoolStats(settings.nodeName(), workers, queue.size() + affinityQueued, failed));
        return this;
    }

    private static long count(Slot slot, java.util.concurrent.atomic.LongAdder adder) {
        return adder == null ? 0 : adder.sum();
    }

    private Behavior<Command> onKillWorker(KillWorker kill) {
        Slot slot = slots.get(kill.workerId());
        if (slot != null && slot.worker != null) {
            slot.worker.tell(new PythonWorker.Kill(kill.reason()));
        }
        return this;
    }

    private Behavior<Command> onPoolFailed(PoolFailed poolFailed) {
        failed = poolFailed.reason();
        lanes.setFailed();
        getContext().getLog().error("worker pool failed: {}", failed);
        PoolFailedException error = new PoolFailedException(failed);
        for (Submit s; (s = queue.pollFirst()) != null; ) {
            s.replyTo().tell(Outcome.failed(error));
        }
        for (Slot slot : order) {
            for (Submit s; (s = slot.affinityQueue.pollFirst()) != null; ) {
                s.replyTo().tell(Outcome.failed(error));
            }
        }
        affinityQueued = 0;
        return done();
    }
}
