package io.pyfleet.node.pool;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.OverloadedException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolFailedException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.RemoteFailures;
import io.pyfleet.protocol.RemoteError;
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
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One scatter/gather job. The argument lists are cut into chunks (a few per worker, at
 * most {@value #MAX_CHUNK} items each); each chunk is one {@code map} request that runs
 * its items in a worker and answers one outcome per item, so a cheap function costs a
 * loop iteration rather than a round trip. Outcomes are gathered in input order, errors
 * in place. A chunk that fails as a whole (its worker crashed or overran) is split and
 * its items retried one by one, so only the item that caused it fails. When the job
 * timeout strikes, the items still missing fail with a timeout.
 */
public final class ScatterJob extends AbstractBehavior<ScatterJob.Command> {
    static final int MAX_CHUNK = 256;
    private static final int CHUNKS_PER_WORKER = 4;

    /** The job's own messages. */
    public sealed interface Command {
    }

    private record ChunkDone(int from, int to, Outcome outcome) implements Command {
    }

    private record ItemDone(int index, Outcome outcome) implements Command {
    }

    private record JobTimeout() implements Command {
    }

    private final String function;
    private final List<? extends List<?>> argumentSets;
    private final CallOptions options;
    private final ActorRef<Router.Command> router;
    private final Duration jobTimeout;
    private final ActorRef<List<Outcome>> replyTo;
    private final Outcome[] outcomes;
    private int missing;

    public static Behavior<Command> create(String function, List<? extends List<?>> argumentSets, CallOptions options,
            int workers, ActorRef<Router.Command> router, Duration jobTimeout, ActorRef<List<Outcome>> replyTo) {
        return Behaviors.setup(context -> {
            if (argumentSets.isEmpty()) {
                replyTo.tell(List.of());
                return Behaviors.stopped();
            }
            return Behaviors.withTimers(timers -> new ScatterJob(context, timers, function, argumentSets, options,
                    workers, router, jobTimeout, replyTo));
        });
    }

    private ScatterJob(ActorContext<Command> context, TimerScheduler<Command> timers, String function,
            List<? extends List<?>> argumentSets, CallOptions options, int workers, ActorRef<Router.Command> router,
            Duration jobTimeout, ActorRef<List<Outcome>> replyTo) {
        super(context);
        this.function = function;
        this.argumentSets = argumentSets;
        this.options = options;
        this.router = router;
        this.jobTimeout = jobTimeout;
        this.replyTo = replyTo;
        this.outcomes = new Outcome[argumentSets.size()];
        this.missing = argumentSets.size();
        timers.startSingleTimer(new JobTimeout(), jobTimeout);
        int chunk = Math.max(1, Math.min(MAX_CHUNK,
                (int) Math.ceil(argumentSets.size() / (double) (workers * CHUNKS_PER_WORKER))));
        for (int from = 0; from < argumentSets.size(); from += chunk) {
            sendChunk(from, Math.min(argumentSets.size(), from + chunk));
        }
    }

    private void sendChunk(int from, int to) {
        if (to - from == 1) {
            sendItem(from);
            return;
        }
        List<Object> items = new ArrayList<>(argumentSets.subList(from, to));
        Call call = new Call("map", function, List.of(items), null, chunkOptions(to - from), null);
        getContext().ask(Outcome.class, router, jobTimeout, ref -> new Router.Submit(call, ref),
                (outcome, failure) -> new ChunkDone(from, to, failure == null ? outcome : timedOut()));
    }

    private void sendItem(int index) {
        Call call = Call.function(function, argumentSets.get(index), null).with(itemOptions());
        getContext().ask(Outcome.class, router, jobTimeout, ref -> new Router.Submit(call, ref),
                (outcome, failure) -> new ItemDone(index, failure == null ? outcome : timedOut()));
    }

    /** A chunk may run as long as its items would one by one. */
    private CallOptions chunkOptions(int items) {
        Duration perItem = options.timeout();
        Duration timeout = perItem == null ? null : perItem.multipliedBy(items);
        return new CallOptions(timeout == null || timeout.compareTo(jobTimeout) < 0 ? timeout : jobTimeout,
                false, null, false);
    }

    private CallOptions itemOptions() {
        return new CallOptions(options.timeout(), options.asHandle(), null, false);
    }

    private Outcome timedOut() {
        return Outcome.failed(new CallTimeoutException("scatter job did not finish within " + jobTimeout));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(ChunkDone.class, this::onChunkDone)
                .onMessage(ItemDone.class, this::onItemDone)
                .onMessage(JobTimeout.class, timeout -> onJobTimeout())
                .build();
    }

    private Behavior<Command> onChunkDone(ChunkDone done) {
        Outcome outcome = done.outcome();
        if (outcome.isOk() && outcome.value() instanceof List<?> results && results.size() == done.to() - done.from()) {
            for (int i = 0; i < results.size(); i++) {
                record(done.from() + i, itemOutcome(results.get(i)));
            }
        } else if (!outcome.isOk() && (outcome.error() instanceof PoolFailedException
                || outcome.error() instanceof OverloadedException)) {
            for (int i = done.from(); i < done.to(); i++) {
                record(i, outcome);
            }
        } else {
            // The chunk failed as a whole: retry its items one by one so only the culprit fails.
            getContext().getLog().debug("scatter chunk [{}, {}) failed ({}); retrying its items one by one",
                    done.from(), done.to(), outcome.isOk() ? "bad reply" : outcome.error().toString());
            for (int i = done.from(); i < done.to(); i++) {
                sendItem(i);
            }
        }
        return finishIfComplete();
    }

    /** One element of a map reply: [0, value] or [1, [kind, type, message, traceback]]. */
    private static Outcome itemOutcome(Object item) {
        if (item instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof Number tag) {
            if (tag.intValue() == 0) {
                return Outcome.ok(pair.get(1));
            }
            if (pair.get(1) instanceof List<?> e && e.size() == 4) {
                return Outcome.failed(RemoteFailures.toException(new RemoteError(String.valueOf(e.get(0)),
                        String.valueOf(e.get(1)), String.valueOf(e.get(2)), String.valueOf(e.get(3)))));
            }
        }
        return Outcome.failed(new ProtocolException("malformed map item from the worker: " + item));
    }

    private Behavior<Command> onItemDone(ItemDone done) {
        record(done.index(), done.outcome());
        return finishIfComplete();
    }

    private void record(int index, Outcome outcome) {
        if (outcomes[index] == null) {
            outcomes[index] = outcome;
            missing--;
        }
    }

    private Behavior<Command> onJobTimeout() {
        for (int i = 0; i < outcomes.length; i++) {
            record(i, timedOut());
        }
        return finishIfComplete();
    }

    private Behavior<Command> finishIfComplete() {
        if (missing > 0) {
            return this;
        }
        replyTo.tell(new ArrayList<>(Arrays.asList(outcomes)));
        return Behaviors.stopped();
    }
}
