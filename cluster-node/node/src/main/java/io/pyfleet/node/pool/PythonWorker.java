package io.pyfleet.node.pool;

import io.pyfleet.node.call.CallPath;
import io.pyfleet.node.call.Lane;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.worker.ExitStatus;
import io.pyfleet.node.worker.WorkerProcess;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Owns one Python worker process for one generation of a worker slot: starts it, hands
 * its channel to the {@link CallPath} when it serves, and stops itself when the process
 * dies, telling its supervisor why; the supervisor decides on a restart. Calls never pass
 * through it.
 */
public final class PythonWorker extends AbstractBehavior<PythonWorker.Command> {

    /** What a worker actor understands. */
    public sealed interface Command {
    }

    /** Kill the process at once (fault injection, or a node that must shed it). */
    public record Kill(String reason) implements Command {
    }

    /** Stop the process gracefully and the actor with it (removed from the pool). */
    public record Stop() implements Command {
    }

    private record Started(WorkerProcess process) implements Command {
    }

    private record StartFailed(Throwable cause) implements Command {
    }

    private record Exited(ExitStatus status) implements Command {
    }

    private final String workerId;
    private final long generation;
    private final ActorRef<PoolManager.Command> manager;
    private final ActorRef<WorkerSupervisor.Command> supervisor;
    private final CallPath path;
    private final Executor blocking;
    private WorkerProcess process;
    /** The process being started: one that starts after this actor stopped is closed, not left running. */
    private final CompletableFuture<WorkerProcess> starting;

    public static Behavior<Command> create(String workerId, long generation, PyfleetSettings settings,
            ActorRef<PoolManager.Command> manager, ActorRef<WorkerSupervisor.Command> supervisor, CallPath path,
            Lane.Counters counters) {
        return Behaviors.setup(context -> new PythonWorker(context, workerId, generation, settings, manager,
                supervisor, path, counters));
    }

    private PythonWorker(ActorContext<Command> context, String workerId, long generation, PyfleetSettings settings,
            ActorRef<PoolManager.Command> manager, ActorRef<WorkerSupervisor.Command> supervisor, CallPath path,
            Lane.Counters counters) {
        super(context);
        this.workerId = workerId;
        this.generation = generation;
        this.manager = manager;
        this.supervisor = supervisor;
        this.path = path;
        // Starting and stopping a Python process block: do them on the blocking-io dispatcher, not in the actor.
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
        this.starting = CompletableFuture.supplyAsync(() -> WorkerProcess.start(settings.workerOptions(workerId,
                generation), path.adopter()), blocking);
        context.pipeToSelf(starting,
                (started, failure) -> failure == null ? new Started(started) : new StartFailed(unwrap(failure)));
        this.counters = counters;
    }

    private final Lane.Counters counters;

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Kill.class, this::onKill)
                .onMessage(Stop.class, stop -> Behaviors.stopped())
                .onMessage(Started.class, this::onStarted)
                .onMessage(StartFailed.class, this::onStartFailed)
                .onMessage(Exited.class, this::onExited)
                .onSignal(PostStop.class, signal -> onPostStop())
                .build();
    }

    private Behavior<Command> onStarted(Started started) {
        process = started.process();
        getContext().pipeToSelf(process.exited(), (status, failure) -> new Exited(status));
        path.workerUp(workerId, generation, process, counters);
        manager.tell(new PoolManager.WorkerUp(workerId, generation, getContext().getSelf(), process.pid()));
        return this;
    }

    private Behavior<Command> onStartFailed(StartFailed failed) {
        String reason = failed.cause().getMessage();
        getContext().getLog().warn("worker {} generation {} did not start: {}", workerId, generation, reason);
        supervisor.tell(new WorkerSupervisor.WorkerExited(workerId, generation, reason, true));
        return Behaviors.stopped();
    }

    private Behavior<Command> onExited(Exited exited) {
        String reason = process.describe() + " " + exited.status().describe();
        path.workerDown(workerId, generation);
        manager.tell(new PoolManager.WorkerDown(workerId, generation));
        supervisor.tell(new WorkerSupervisor.WorkerExited(workerId, generation, reason, false));
        process = null;
        return Behaviors.stopped();
    }

    private Behavior<Command> onKill(Kill kill) {
        if (process != null) {
            process.kill(kill.reason());
        }
        return this;
    }

    private Behavior<Command> onPostStop() {
        if (process == null) {
            // Stopped while its process started (a pool stopped as it grew): nobody else will own that process.
            starting.thenAccept(late -> {
                if (late.isAlive()) {
                    stopInBackground(late);
                }
            });
            return this;
        }
        WorkerProcess stopping = process;
        if (stopping != null && stopping.isAlive()) {
            path.workerDown(workerId, generation);
            stopInBackground(stopping);
        }
        return this;
    }

    /** Never block the dispatcher on a worker's stop timeout (nor count on it during shutdown). */
    private void stopInBackground(WorkerProcess stopping) {
        Thread stopper = new Thread(stopping::close, "pyfleet-stop-" + workerId);
        stopper.setDaemon(true);
        stopper.start();
    }
}
