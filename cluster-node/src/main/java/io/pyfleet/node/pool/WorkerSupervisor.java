package io.pyfleet.node.pool;

import io.pyfleet.node.config.PyfleetSettings;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
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
 * exceed the restart intensity: the supervisor stops restarting and tells the router the
 * pool failed, with the last reason, instead of looping.
 */
public final class WorkerSupervisor extends AbstractBehavior<WorkerSupervisor.Command> {

    /** What the supervisor understands. */
    public sealed interface Command {
    }

    /** Start this many new worker slots. */
    public record AddWorkers(int count) implements Command {
    }

    /** Stop a slot's worker for good (the router drained it first). */
    public record RemoveWorker(String workerId) implements Command {
    }

    /**
     * From a worker: its process ended, or never started ({@code startFailed}); the child is
     * stopping.
     */
    public record WorkerExited(String workerId, long generation, String reason, boolean startFailed)
            implements Command {
    }

    private record Restart(String workerId) implements Command {
    }

    private record ChildTerminated(String workerId, long generation) implements Command {
    }

    /** One slot: its current child and its back-off state. */
    private static final class SlotState {
        long generation;
        ActorRef<PythonWorker.Command> child;
        int consecutiveFailures;
        long startedAt;
        boolean exitHandled;
        boolean everServed;
        final Lane.Counters counters = new Lane.Counters();
    }

    private final PyfleetSettings settings;
    private final ActorRef<Router.Command> router;
    private final Lanes lanes;
    private final TimerScheduler<Command> timers;
    private final Map<String, SlotState> slots = new HashMap<>();
    private final Deque<Long> restartTimes = new ArrayDeque<>();
    private int nextSlot = 1;
    private boolean failed;

    public static Behavior<Command> create(PyfleetSettings settings, ActorRef<Router.Command> router, Lanes lanes) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new WorkerSupervisor(context, settings, router, lanes, timers)));
    }

    private WorkerSupervisor(ActorContext<Command> context, PyfleetSettings settings, ActorRef<Router.Command> router,
            Lanes lanes, TimerScheduler<Command> timers) {
        super(context);
        this.settings = settings;
        this.lanes = lanes;
        this.router = router;
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
                .build();
    }

    private Behavior<Command> onAddWorkers(AddWorkers add) {
        for (int i = 0; i < add.count(); i++) {
            String id = "w" + nextSlot++;
            SlotState slot = new SlotState();
            slots.put(id, slot);
            router.tell(new Router.SlotAdded(id));
            spawn(id, slot);
        }
        return this;
    }

    private void spawn(String id, SlotState slot) {
        slot.generation++;
        slot.exitHandled = false;
        slot.startedAt = System.nanoTime();
        slot.child = getContext().spawn(
                PythonWorker.create(id, slot.generation, settings, router, getContext().getSelf(), lanes,
                        slot.counters),
                id + "-g" + slot.generation);
        getContext().watchWith(slot.child, new ChildTerminated(id, slot.generation));
    }

    private Behavior<Command> onRemoveWorker(RemoveWorker remove) {
        SlotState slot = slots.remove(remove.workerId());
        if (slot != null) {
            timers.cancel(remove.workerId());
            if (slot.child != null) {
                getContext().stop(slot.child);
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
        if (exited.startFailed() && slot.generation == 1 && !slot.everServed) {
            // A first start that fails is a broken set-up (interpreter, packages), not bad luck: say so now.
            failed = true;
            router.tell(new Router.PoolFailed("worker " + exited.workerId() + " could not start: " + exited.reason()));
            return this;
        }
        if (!exited.startFailed()) {
            slot.everServed = true;
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
            router.tell(new Router.WorkerDown(terminated.workerId(), terminated.generation(), "worker actor stopped"));
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
            failed = true;
            router.tell(new Router.PoolFailed("workers died " + restartTimes.size() + " times within "
                    + settings.supervision().within() + " (restart intensity "
                    + settings.supervision().maxRestarts() + "); the pool gave up. Last failure, worker " + id
                    + ": " + reason));
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
