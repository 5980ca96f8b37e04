package io.pyfleet.node.pool;

import io.pyfleet.node.call.CallPath;
import io.pyfleet.node.call.Lane;
import io.pyfleet.node.config.PyfleetSettings;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * one_for_one supervision of the pool's workers: each slot has one {@link PythonWorker}
 * child at a time; when it dies only that slot is restarted, after an exponential
 * back-off with jitter. More than {@code max-restarts} restarts within {@code within}
 * exceed the restart intensity: the supervisor stops restarting and tells the manager the
 * pool failed, with the last reason, instead of looping; after {@code cool-down} it tries
 * again. A worker added by a resize that cannot start is dropped alone.
 */
public final class WorkerSupervisor extends AbstractBehavior<WorkerSupervisor.Command> {
    /** How a failed pool's reason ends: what a running node does next. */
    private static final String COOL_DOWN = "; it tries again after a cool-down";

    /** What the supervisor understands. */
    public sealed interface Command {
    }

    /**
     * Start this many new worker slots; {@code initial} for the pool's first workers, whose
     * failed first start means a broken set-up and fails the pool at once.
     */
    public record AddWorkers(int count, boolean initial) implements Command {
    }

    /** Stop a slot's worker for good (the manager drained it first). */
    public record RemoveWorker(String workerId) implements Command {
    }

    /** From a worker: its process ended, or never started ({@code startFailed}); the child is stopping. */
    public record WorkerExited(String workerId, long generation, String reason, boolean startFailed)
            implements Command {
    }

    private record Restart(String workerId) implements Command {
    }

    private record CoolDownOver() implements Command {
    }

    private record ChildTerminated(String workerId, long generation) implements Command {
    }

    /** One slot: its current child and its back-off state. */
    private static final class SlotState {
        final boolean initial;
        long generation;
        ActorRef<PythonWorker.Command> child;
        int consecutiveFailures;
        long startedAt;
        boolean exitHandled;
        boolean everServed;
        final Lane.Counters counters = new Lane.Counters();

        SlotState(boolean initial) {
            this.initial = initial;
        }
    }

    private final PyfleetSettings settings;
    private final ActorRef<PoolManager.Command> manager;
    private final CallPath path;
    private final TimerScheduler<Command> timers;
    private final Map<String, SlotState> slots = new LinkedHashMap<>();
    private final Deque<Long> restartTimes = new ArrayDeque<>();
    private int nextSlot = 1;
    private boolean failed;
    private boolean anyServed;

    public static Behavior<Command> create(PyfleetSettings settings, ActorRef<PoolManager.Command> manager,
            CallPath path) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new WorkerSupervisor(context, settings, manager, path, timers)));
    }

    private WorkerSupervisor(ActorContext<Command> context, PyfleetSettings settings,
            ActorRef<PoolManager.Command> manager, CallPath path, TimerScheduler<Command> timers) {
        super(context);
        this.settings = settings;
        this.manager = manager;
        this.path = path;
        this.timers = timers;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(AddWorkers.class, this::onAddWorkers)
                .onMessage(RemoveWorker.class, this::onRemoveWorker)
                .onMessage(WorkerExited.class, this::onWorkerExited)
                .onMessage(ChildTerminated.class, this::onChildTerminated)
                .onMessage(Restart.class, this::onRestart)
                .onMessage(CoolDownOver.class, this::onCoolDownOver)
                .build();
    }

    private Behavior<Command> onAddWorkers(AddWorkers add) {
        for (int i = 0; i < add.count(); i++) {
            String id = "w" + nextSlot++;
            SlotState slot = new SlotState(add.initial());
            slots.put(id, slot);
            manager.tell(new PoolManager.SlotAdded(id, slot.counters));
            if (!failed) {
                spawn(id, slot);
            }
        }
        return this;
    }

    private void spawn(String id, SlotState slot) {
        slot.generation++;
        slot.exitHandled = false;
        slot.startedAt = System.nanoTime();
        slot.child = getContext().spawn(
                PythonWorker.create(id, slot.generation, settings, manager, getContext().getSelf(), path,
                        slot.counters),
                id + "-g" + slot.generation);
        getContext().watchWith(slot.child, new ChildTerminated(id, slot.generation));
    }

    private Behavior<Command> onRemoveWorker(RemoveWorker remove) {
        SlotState slot = slots.remove(remove.workerId());
        if (slot != null) {
            timers.cancel(remove.workerId());
            if (slot.child != null) {
                slot.child.tell(new PythonWorker.Stop());
            }
        }
        return this;
    }

    private Behavior<Command> onWorkerExited(WorkerExited exited) {
        SlotState slot = slots.get(exited.workerId());
        if (slot == null || slot.generation != exited.generation() || slot.exitHandled) {
            return this;
        }
        slot.exitHandled = true;
        slot.child = null;
        if (exited.startFailed() && !slot.everServed) {
            if (slot.initial && !anyServed) {
                // A first start that fails is a broken set-up (interpreter, packages), not bad luck: say so now.
                poolFailed("worker " + exited.workerId() + " could not start: " + exited.reason());
                return this;
            }
            if (!slot.initial) {
                // A worker a resize added fails alone; the workers that serve keep serving.
                getContext().getLog().error("worker {} added by a resize could not start and is dropped: {}",
                        exited.workerId(), exited.reason());
                slots.remove(exited.workerId());
                manager.tell(new PoolManager.SlotRemoved(exited.workerId()));
                return this;
            }
        }
        if (!exited.startFailed()) {
            slot.everServed = true;
            anyServed = true;
        }
        scheduleRestart(exited.workerId(), slot, exited.reason());
        return this;
    }

    private Behavior<Command> onChildTerminated(ChildTerminated terminated) {
        SlotState slot = slots.get(terminated.workerId());
        if (slot != null && slot.generation == terminated.generation() && !slot.exitHandled) {
            // The actor stopped without reporting (a bug in it, not the process): restart it all the same.
            slot.exitHandled = true;
            slot.child = null;
            path.workerDown(terminated.workerId(), terminated.generation());
            manager.tell(new PoolManager.WorkerDown(terminated.workerId(), terminated.generation()));
            scheduleRestart(terminated.workerId(), slot, "the worker actor stopped unexpectedly");
        }
        return this;
    }

    private void scheduleRestart(String id, SlotState slot, String reason) {
        if (failed) {
            return;
        }
        long now = System.nanoTime();
        long window = settings.supervision().within().toNanos();
        restartTimes.addLast(now);
        while (!restartTimes.isEmpty() && now - restartTimes.peekFirst() > window) {
            restartTimes.removeFirst();
        }
        if (restartTimes.size() > settings.supervision().maxRestarts()) {
            poolFailed("workers died " + restartTimes.size() + " times within " + settings.supervision().within()
                    + " (restart intensity " + settings.supervision().maxRestarts() + "); the pool gave up. "
                    + "Last failure, worker " + id + ": " + reason);
            return;
        }
        // A worker that served for a while starts its back-off afresh.
        if (now - slot.startedAt > window) {
            slot.consecutiveFailures = 0;
        }
        Duration delay = backoff(slot.consecutiveFailures++);
        getContext().getLog().info("restarting worker {} in {} ms: {}", id, delay.toMillis(), reason);
        timers.startSingleTimer(id, new Restart(id), delay);
    }

    private void poolFailed(String reason) {
        if (failed) {
            return; // said once per failure: the other slots' news adds nothing
        }
        failed = true;
        Duration coolDown = settings.supervision().coolDown();
        manager.tell(new PoolManager.PoolFailed(reason + COOL_DOWN + " of " + coolDown));
        timers.startSingleTimer("cool-down", new CoolDownOver(), coolDown);
    }

    /**
     * A failed pool's reason without what a running node does next: for a start that gives up instead.
     *
     * @param reason a reason as {@link PoolManager.PoolFailed} carries it
     * @return the reason up to the cool-down it names
     */
    public static String withoutCoolDown(String reason) {
        int cut = reason.indexOf(COOL_DOWN);
        return cut > 0 ? reason.substring(0, cut) : reason;
    }

    private Behavior<Command> onCoolDownOver(CoolDownOver over) {
        failed = false;
        restartTimes.clear();
        manager.tell(new PoolManager.PoolRecovering());
        slots.forEach((id, slot) -> {
            if (slot.child == null) {
                timers.cancel(id);
                slot.consecutiveFailures = 0;
                spawn(id, slot);
            }
        });
        return this;
    }

    private Duration backoff(int failures) {
        var s = settings.supervision();
        double base = s.minBackoff().toNanos() * Math.pow(2, Math.min(failures, 30));
        double capped = Math.min(base, s.maxBackoff().toNanos());
        double jitter = 1 + ThreadLocalRandom.current().nextDouble() * s.randomFactor();
        return Duration.ofNanos((long) Math.min(capped * jitter, s.maxBackoff().toNanos()));
    }

    private Behavior<Command> onRestart(Restart restart) {
        SlotState slot = slots.get(restart.workerId());
        if (slot != null && !failed && slot.child == null) {
            spawn(restart.workerId(), slot);
        }
        return this;
    }
}
