package io.pyfleet.node.pool;

import io.pyfleet.client.Call;
import io.pyfleet.client.Outcome;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.worker.ExitStatus;
import io.pyfleet.node.worker.NotStartedException;
import io.pyfleet.node.worker.WorkerProcess;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
 * Owns one Python worker process for one generation of a worker slot. It starts the
 * process, reports to the router when it serves, forwards calls to it, and stops itself
 * when the process dies, telling its supervisor why; the supervisor decides on a restart.
 */
public final class PythonWorker extends AbstractBehavior<PythonWorker.Command> {

    /** What a worker actor understands. */
    public sealed interface Command {
    }

    /** Run a call; the outcome goes to {@code replyTo}, the bookkeeping to the router. */
    public record Execute(Call call, ActorRef<Outcome> replyTo) implements Command {
    }

    /** Kill the process at once (fault injection, or a node that must shed it). */
    public record Kill(String reason) implements Command {
    }

    /**
     * From the router, after it has seen this worker down: nothing more will come from it,
     * so the actor may stop. Sent as an ordinary message so that it arrives after every
     * call the router sent before it; those are handed back, never dropped.
     */
    public record Retire() implements Command {
    }

    private record Started(WorkerProcess process) implements Command {
    }

    private record StartFailed(Throwable cause) implements Command {
    }

    private record Exited(ExitStatus status) implements Command {
    }

    private final String workerId;
    private final long generation;
    private final PyfleetSettings settings;
    private final ActorRef<Router.Command> router;
    private final ActorRef<WorkerSupervisor.Command> supervisor;
    private final Lanes lanes;
    private final Lane.Counters counters;
    private WorkerProcess process;
    private Lane lane;

    public static Behavior<Command> create(String workerId, long generation, PyfleetSettings settings,
            ActorRef<Router.Command> router, ActorRef<WorkerSupervisor.Command> supervisor, Lanes lanes,
            Lane.Counters counters) {
        return Behaviors.setup(context -> new PythonWorker(context, workerId, generation, settings, router,
                supervisor, lanes, counters));
    }

    private PythonWorker(ActorContext<Command> context, String workerId, long generation, PyfleetSettings settings,
            ActorRef<Router.Command> router, ActorRef<WorkerSupervisor.Command> supervisor, Lanes lanes,
            Lane.Counters counters) {
        super(context);
        this.workerId = workerId;
        this.generation = generation;
        this.settings = settings;
        this.router = router;
        this.supervisor = supervisor;
        this.lanes = lanes;
        this.counters = counters;
        // Starting a Python process blocks: do it on the blocking-io dispatcher, not in the actor.
        Executor blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
        context.pipeToSelf(
                CompletableFuture.supplyAsync(() -> WorkerProcess.start(settings.workerOptions(workerId, generation)),
                        blocking),
                (started, failure) -> failure == null ? new Started(started)
                        : new StartFailed(Failures.unwrap(failure)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Execute.class, this::onExecute)
                .onMessage(Kill.class, this::onKill)
                .onMessage(Started.class, this::onStarted)
                .onMessage(StartFailed.class, this::onStartFailed)
                .onMessage(Exited.class, this::onExited)
                .onMessage(Retire.class, retire -> Behaviors.stopped())
                .onSignal(PostStop.class, signal -> onPostStop())
                .build();
    }

    private Behavior<Command> onStarted(Started started) {
        process = started.process();
        lane = new Lane(workerId, generation, process, counters);
        getContext().pipeToSelf(process.exited(), (status, failure) -> new Exited(status));
        router.tell(new Router.WorkerUp(workerId, generation, getContext().getSelf(), process.pid(), lane));
        return this;
    }

    private Behavior<Command> onStartFailed(StartFailed failed) {
        String reason = failed.cause().getMessage();
        getContext().getLog().warn("worker {} generation {} did not start: {}", workerId, generation, reason);
        return exit(reason, true);
    }

    private Behavior<Command> onExited(Exited exited) {
        return exit(process.describe() + " " + exited.status().describe(), false);
    }

    private Behavior<Command> exit(String reason, boolean startFailed) {
        router.tell(new Router.WorkerDown(workerId, generation, reason));
        supervisor.tell(new WorkerSupervisor.WorkerExited(workerId, generation, reason, startFailed));
        // A worker that never started was never announced: no call can be on its way to it.
        return startFailed ? Behaviors.stopped() : dead();
    }

    /** After death, until the router retires it: calls that still arrive never ran and go back. */
    private Behavior<Command> dead() {
        return Behaviors.receive(Command.class)
                .onMessage(Execute.class, execute -> {
                    lane.inFlight.decrementAndGet();
                    router.tell(new Router.Requeue(workerId, generation,
                            new Router.Submit(execute.call(), execute.replyTo())));
                    return Behaviors.same();
                })
                .onMessage(Retire.class, retire -> Behaviors.stopped())
                .onSignal(PostStop.class, signal -> onPostStop())
                .build();
    }

    private Behavior<Command> onKill(Kill kill) {
        if (process != null) {
            process.kill(kill.reason());
        }
        return this;
    }

    private Behavior<Command> onExecute(Execute execute) {
        Call call = execute.call();
        ActorRef<Outcome> replyTo = execute.replyTo();
        lane.run(call, settings.pool().callTimeout()).whenComplete((value, failure) -> {
            Throwable cause = failure == null ? null : Failures.unwrap(failure);
            if (cause instanceof NotStartedException) {
                router.tell(new Router.Requeue(workerId, generation, new Router.Submit(call, replyTo)));
                return;
            }
            replyTo.tell(cause == null ? Outcome.ok(value) : Outcome.failed(Failures.asPyFleet(cause)));
            lanes.freed(lane, router);
        });
        return this;
    }

    /** The protocol's opts map for a call, or null when it has none. */
    static Map<String, Object> wireOptions(Call call) {
        if (!call.options().asHandle() && !call.options().stream() && call.coerce() == null) {
            return null;
        }
        Map<String, Object> opts = new HashMap<>(4);
        if (call.options().asHandle()) {
            opts.put("ret", "handle");
        }
        if (call.options().stream()) {
            opts.put("stream", true);
        }
        if (call.coerce() != null) {
            opts.put("coerce", call.coerce());
        }
        return opts;
    }

    private Behavior<Command> onPostStop() {
        if (process != null && process.isAlive()) {
            process.close();
        }
        return this;
    }
}
