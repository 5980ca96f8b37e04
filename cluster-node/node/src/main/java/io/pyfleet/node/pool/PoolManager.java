package io.pyfleet.node.pool;

import io.pyfleet.client.PoolStats;
import io.pyfleet.node.call.CallPath;
import io.pyfleet.node.call.Lane;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.worker.ProcessMemory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The pool's guardian: keeps the list of worker slots, resizes the pool (a shrink drains
 * the removed workers' calls first), reports statistics and relays the supervisor's news
 * to the {@link CallPath}. Calls never pass through it: they go from the caller's thread
 * straight into a worker's pipe. Its child {@link WorkerSupervisor} starts and restarts
 * the workers.
 */
public final class PoolManager extends AbstractBehavior<PoolManager.Command> {

    /** What the manager understands. */
    public sealed interface Command {
    }

    /** Grow or shrink the pool; shrinking drains the removed workers' calls first. */
    public record Resize(int size) implements Command {
    }

    public record GetStats(ActorRef<PoolStats> replyTo) implements Command {
    }

    /** Kill the named worker's process, as a crash would (tests, operators). */
    public record KillWorker(String workerId, String reason) implements Command {
    }

    /** Stop the pool: its workers stop with it (a named pool's end; the call path fails the calls first). */
    public record Stop() implements Command {
    }

    /** From a worker: it serves now. */
    public record WorkerUp(String workerId, long generation, ActorRef<PythonWorker.Command> worker, long pid)
            implements Command {
    }

    /** From a worker: its process is gone. */
    public record WorkerDown(String workerId, long generation) implements Command {
    }

    /** From the supervisor: a worker slot exists (added by a resize or at start). */
    public record SlotAdded(String workerId, Lane.Counters counters) implements Command {
    }

    /** From the supervisor: a slot is gone for good (removed, or it never could start). */
    public record SlotRemoved(String workerId) implements Command {
    }

    /** From the supervisor: the restart intensity was exceeded; it retries after the cool-down. */
    public record PoolFailed(String reason) implements Command {
    }

    /** From the supervisor: the cool-down is over and the workers are starting again. */
    public record PoolRecovering() implements Command {
    }

    /** From the call path: a draining worker has no call left. */
    private record Drained(String workerId) implements Command {
    }

    /** One worker slot as the manager sees it. */
    private static final class Slot {
        final String id;
        final Lane.Counters counters;
        ActorRef<PythonWorker.Command> worker;
        long generation = -1;
        long pid = -1;
        boolean ready;
        boolean draining;
        int starts;

        Slot(String id, Lane.Counters counters) {
            this.id = id;
            this.counters = counters;
        }
    }

    private final PyfleetSettings settings;
    private final CallPath path;
    private final ActorRef<WorkerSupervisor.Command> supervisor;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    /** When the manager started: the pool's uptime counts from here. */
    private final long startedNanos = System.nanoTime();
    private String failed;
    private int recoveries;

    public static Behavior<Command> create(PyfleetSettings settings, CallPath path) {
        return Behaviors.setup(context -> new PoolManager(context, settings, path));
    }

    private PoolManager(ActorContext<Command> context, PyfleetSettings settings, CallPath path) {
        super(context);
        this.settings = settings;
        this.path = path;
        ActorRef<Command> self = context.getSelf();
        path.onDrained(workerId -> self.tell(new Drained(workerId)));
        this.supervisor = context.spawn(WorkerSupervisor.create(settings, self, path), "workers");
        supervisor.tell(new WorkerSupervisor.AddWorkers(settings.pool().size(), true));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(WorkerUp.class, this::onWorkerUp)
                .onMessage(WorkerDown.class, this::onWorkerDown)
                .onMessage(SlotAdded.class, this::onSlotAdded)
                .onMessage(SlotRemoved.class, this::onSlotRemoved)
                .onMessage(Resize.class, this::onResize)
                .onMessage(Drained.class, this::onDrained)
                .onMessage(GetStats.class, this::onGetStats)
                .onMessage(KillWorker.class, this::onKillWorker)
                .onMessage(PoolFailed.class, this::onPoolFailed)
                .onMessage(PoolRecovering.class, this::onPoolRecovering)
                .onMessage(Stop.class, stop -> Behaviors.stopped())
                .build();
    }

    private Behavior<Command> onWorkerUp(WorkerUp up) {
        Slot slot = slots.get(up.workerId());
        if (slot == null || slot.draining) {
            up.worker().tell(new PythonWorker.Stop());
            return this;
        }
        slot.worker = up.worker();
        slot.generation = up.generation();
        slot.pid = up.pid();
        slot.ready = true;
        slot.starts++;
        failed = null;
        return this;
    }

    private Behavior<Command> onWorkerDown(WorkerDown down) {
        Slot slot = slots.get(down.workerId());
        if (slot != null && slot.generation == down.generation()) {
            slot.ready = false;
            slot.worker = null;
            slot.pid = -1;
            if (slot.draining) {
                removeSlot(slot);
            }
        }
        return this;
    }

    private Behavior<Command> onSlotAdded(SlotAdded added) {
        slots.put(added.workerId(), new Slot(added.workerId(), added.counters()));
        return this;
    }

    private Behavior<Command> onSlotRemoved(SlotRemoved removed) {
        slots.remove(removed.workerId());
        return this;
    }

    private void removeSlot(Slot slot) {
        slots.remove(slot.id);
        supervisor.tell(new WorkerSupervisor.RemoveWorker(slot.id));
    }

    private Behavior<Command> onResize(Resize resize) {
        int wanted = resize.size();
        List<Slot> active = slots.values().stream().filter(s -> !s.draining).toList();
        if (wanted > active.size()) {
            supervisor.tell(new WorkerSupervisor.AddWorkers(wanted - active.size(), false));
        } else if (wanted < active.size()) {
            // Remove the least useful first: not serving, then the least loaded, newest slots first.
            List<Slot> candidates = new ArrayList<>(active);
            java.util.Collections.reverse(candidates);
            candidates.sort(Comparator.comparing((Slot s) -> s.ready).thenComparingInt(s -> path.inFlight(s.id)));
            for (Slot s : candidates.subList(0, active.size() - wanted)) {
                s.draining = true;
                getContext().getLog().info("draining worker {} ({} calls in flight)", s.id, path.inFlight(s.id));
                if (s.ready) {
                    path.drain(s.id);
                } else {
                    removeSlot(s);
                }
            }
        }
        return this;
    }

    private Behavior<Command> onDrained(Drained drained) {
        Slot slot = slots.get(drained.workerId());
        if (slot != null && slot.draining) {
            removeSlot(slot);
        }
        return this;
    }

    private Behavior<Command> onGetStats(GetStats get) {
        List<PoolStats.WorkerStats> workers = slots.values().stream().map(s -> new PoolStats.WorkerStats(s.id, s.pid,
                s.ready && !s.draining, path.inFlight(s.id), s.counters.calls(), s.counters.errors(),
                Duration.ofNanos(s.counters.busyNanos()), Math.max(0, s.starts - 1), ProcessMemory.rssBytes(s.pid)))
                .toList();
        String state = failed != null ? failed
                : recoveries > 0 && workers.stream().noneMatch(PoolStats.WorkerStats::ready)
                ? "recovering after " + recoveries + " failure(s) of the pool" : null;
        get.replyTo().tell(new PoolStats(settings.nodeName(), Duration.ofNanos(System.nanoTime() - startedNanos), workers,
                path.queued(), state));
        return this;
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
        getContext().getLog().error("worker pool failed: {}", failed);
        path.poolFailed(failed);
        return this;
    }

    private Behavior<Command> onPoolRecovering(PoolRecovering recovering) {
        getContext().getLog().warn("worker pool recovering after its cool-down: starting the workers again");
        recoveries++;
        failed = null;
        path.poolRecovering();
        return this;
    }
}
