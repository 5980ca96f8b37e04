package io.pyfleet.node.pool;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One identical call: the same call sent to each named worker, one outcome per worker in
 * the order given, then the job stops. A worker that does not answer in time gets a
 * timeout outcome in its place.
 */
public final class IdenticalCallJob extends AbstractBehavior<IdenticalCallJob.Command> {

    /** The job's own messages. */
    public sealed interface Command {
    }

    private record Answered(int index, Outcome outcome) implements Command {
    }

    private final Outcome[] outcomes;
    private final ActorRef<List<Outcome>> replyTo;
    private int missing;

    public static Behavior<Command> create(Call call, List<String> workers, ActorRef<Router.Command> router,
            Duration timeout, ActorRef<List<Outcome>> replyTo) {
        return Behaviors.setup(context -> new IdenticalCallJob(context, call, workers, router, timeout, replyTo));
    }

    private IdenticalCallJob(ActorContext<Command> context, Call call, List<String> workers,
            ActorRef<Router.Command> router, Duration timeout, ActorRef<List<Outcome>> replyTo) {
        super(context);
        this.outcomes = new Outcome[workers.size()];
        this.replyTo = replyTo;
        this.missing = workers.size();
        for (int i = 0; i < workers.size(); i++) {
            int index = i;
            String worker = workers.get(i);
            context.ask(Outcome.class, router, timeout, ref -> new Router.SubmitTo(worker, call, ref),
                    (outcome, failure) -> new Answered(index, failure == null ? outcome
                            : Outcome.failed(new CallTimeoutException("worker " + worker
                                    + " did not answer the identical call within " + timeout))));
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder().onMessage(Answered.class, this::onAnswered).build();
    }

    private Behavior<Command> onAnswered(Answered answered) {
        if (outcomes[answered.index()] == null) {
            outcomes[answered.index()] = answered.outcome();
            missing--;
        }
        if (missing > 0) {
            return this;
        }
        replyTo.tell(new ArrayList<>(Arrays.asList(outcomes)));
        return Behaviors.stopped();
    }
}
