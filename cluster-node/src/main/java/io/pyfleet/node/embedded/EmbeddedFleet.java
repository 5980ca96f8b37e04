package io.pyfleet.node.embedded;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolFailedException;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PyObject;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.pool.Lane;
import io.pyfleet.node.pool.Lanes;
import io.pyfleet.node.pool.Router;
import io.pyfleet.node.worker.NotStartedException;
import io.pyfleet.protocol.Handle;
import io.pyfleet.protocol.PyTuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A node inside this JVM: an actor system whose guardian is the pool's {@link Router},
 * with its supervised Python workers. {@link #start()} returns once every worker serves.
 */
public final class EmbeddedFleet implements Fleet {
    /** Asks never time out before the node answers: the node guarantees one outcome per call. */
    private static final Duration ASK_LIMIT = Duration.ofDays(1);

    private final ActorSystem<Router.Command> system;
    private final PyfleetSettings settings;
    private final Lanes lanes;
    private final PyObject.Releaser releaser;
    private volatile int poolSize;

    private EmbeddedFleet(ActorSystem<Router.Command> system, PyfleetSettings settings, Lanes lanes) {
        this.system = system;
        this.settings = settings;
        this.lanes = lanes;
        this.poolSize = settings.pool().size();
        this.releaser = this::release;
    }

    /** A node with the defaults: application.conf on the classpath, system properties over it. */
    public static EmbeddedFleet start() {
        return start(ConfigFactory.load());
    }

    public static EmbeddedFleet start(Config config) {
        return start(config, PyfleetSettings.from(config));
    }

    public static EmbeddedFleet start(Config config, PyfleetSettings settings) {
        Lanes lanes = new Lanes(settings);
        ActorSystem<Router.Command> system = ActorSystem.create(Router.create(settings, lanes), "pyfleet", config);
        EmbeddedFleet fleet = new EmbeddedFleet(system, settings, lanes);
        try {
            fleet.awaitServing(settings.worker().startTimeout().plusSeconds(5));
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
        return fleet;
    }

    /** Waits until every worker of the pool serves, or the pool fails to start. */
    private void awaitServing(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            PoolStats stats = stats();
            if (stats.failed() != null) {
                throw new PoolFailedException(stats.failed());
            }
            long serving = stats.workers().stream().filter(PoolStats.WorkerStats::ready).count();
            if (serving >= poolSize) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new PoolFailedException("only " + serving + " of " + poolSize + " workers started within "
                        + limit);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PyFleetException("interrupted while the pool was starting");
            }
        }
    }

    /**
     * A call takes a free lane straight into a worker's pipe from the caller's thread when
     * the router has nothing queued; otherwise, or when that worker died before running
     * it, it goes through the router.
     */
    @Override
    public CompletableFuture<Object> submit(Call call) {
        Lane lane = lanes.acquire(call);
        if (lane == null) {
            return viaRouter(call);
        }
        CompletableFuture<Object> result = new CompletableFuture<>();
        lane.run(call, settings.pool().callTimeout()).whenComplete((value, thrown) -> {
            Throwable failure = unwrap(thrown);
            if (failure == null) {
                result.complete(adopt(value));
            } else if (failure instanceof NotStartedException) {
                viaRouter(call).whenComplete((v, f) -> {
                    if (f == null) {
                        result.complete(v);
                    } else {
                        result.completeExceptionally(f);
                    }
                });
            } else {
                result.completeExceptionally(asPyFleet(failure));
            }
            lanes.freed(lane, system);
        });
        return result;
    }

    /**
     * Releases a handle in its owner. Written straight into the owner's pipe when its lane
     * is open, so a call this thread makes next cannot overtake it.
     */
    private void release(Handle handle) {
        Lane lane = lanes.acquireOwner(handle);
        if (lane == null) {
            system.tell(new Router.Release(handle));
            return;
        }
        lane.run(new Call("release", null, List.of(handle.id()), null, null, null), settings.pool().callTimeout())
                .whenComplete((released, failure) -> lanes.freed(lane, system));
    }

    private CompletableFuture<Object> viaRouter(Call call) {
        CompletionStage<Outcome> reply = AskPattern.ask(system, replyTo -> new Router.Submit(call, replyTo),
                ASK_LIMIT, system.scheduler());
        CompletableFuture<Object> result = new CompletableFuture<>();
        // Complete on the answering thread: Pekko's stage would otherwise hop to the common pool,
        // which on a 2-core machine starts a thread per completion.
        reply.whenCompleteAsync((outcome, failure) -> {
            if (failure != null) {
                result.completeExceptionally(new PyFleetException("the node did not answer: " + failure, failure));
            } else if (outcome.isOk()) {
                result.complete(adopt(outcome.value()));
            } else {
                result.completeExceptionally(outcome.error());
            }
        }, Runnable::run);
        return result;
    }

    @Override
    public CompletableFuture<List<Outcome>> identicalAsync(Call call) {
        Lane[] all = lanes.acquireAll(poolSize);
        if (all != null) {
            List<CompletableFuture<Outcome>> each = new ArrayList<>(all.length);
            for (Lane lane : all) {
                each.add(lane.run(call, settings.pool().callTimeout()).handle((value, thrown) -> {
                    lanes.freed(lane, system);
                    return thrown == null ? Outcome.ok(adopt(value)) : Outcome.failed(asPyFleet(thrown));
                }));
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                    .thenApply(done -> each.stream().map(CompletableFuture::join).toList());
        }
        return adoptAll(AskPattern.ask(system, replyTo -> new Router.Identical(call, replyTo), ASK_LIMIT,
                system.scheduler()));
    }

    @Override
    public CompletableFuture<List<Outcome>> scatterAsync(String name, List<? extends List<?>> argumentSets,
            CallOptions options) {
        List<List<?>> copy = List.copyOf(argumentSets);
        return adoptAll(AskPattern.ask(system, replyTo -> new Router.Scatter(name, copy, options, replyTo),
                ASK_LIMIT, system.scheduler()));
    }

    private CompletableFuture<List<Outcome>> adoptAll(CompletionStage<List<Outcome>> reply) {
        return reply.thenApplyAsync(outcomes -> {
            List<Outcome> adopted = new ArrayList<>(outcomes.size());
            for (Outcome o : outcomes) {
                adopted.add(o.isOk() ? Outcome.ok(adopt(o.value())) : o);
            }
            return adopted;
        }, Runnable::run).toCompletableFuture();
    }

    private static Throwable unwrap(Throwable thrown) {
        return thrown instanceof CompletionException && thrown.getCause() != null ? thrown.getCause() : thrown;
    }

    private static PyFleetException asPyFleet(Throwable thrown) {
        Throwable failure = unwrap(thrown);
        return failure instanceof PyFleetException p ? p
                : new PyFleetException("call failed in the node: " + failure, failure);
    }

    /** Gives every handle in a result a PyObject that releases it when closed or unreachable. */
    private Object adopt(Object value) {
        if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean) {
            return value;
        }
        if (value instanceof Handle handle) {
            return new PyObject(handle, releaser);
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(item -> out.add(adopt(item)));
            return out;
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(adopt(k), adopt(v)));
            return out;
        }
        if (value instanceof PyTuple tuple) {
            List<Object> out = new ArrayList<>(tuple.items().size());
            tuple.items().forEach(item -> out.add(adopt(item)));
            return new PyTuple(out);
        }
        if (value instanceof Set<?> set) {
            Set<Object> out = new LinkedHashSet<>();
            set.forEach(item -> out.add(adopt(item)));
            return out;
        }
        return value;
    }

    @Override
    public int poolSize() {
        return poolSize;
    }

    @Override
    public void resize(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("a pool needs at least one worker, not " + workers);
        }
        poolSize = workers;
        system.tell(new Router.Resize(workers));
    }

    @Override
    public PoolStats stats() {
        return Fleet.join(AskPattern.ask(system, (org.apache.pekko.actor.typed.ActorRef<PoolStats> replyTo)
                -> new Router.GetStats(replyTo), Duration.ofSeconds(10), system.scheduler()).toCompletableFuture());
    }

    /** Kills a worker's process as a crash would; the supervisor restarts it. For tests and operators. */
    public void killWorker(String workerId) {
        system.tell(new Router.KillWorker(workerId, "killed on request"));
    }

    public PyfleetSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture()
                    .get(settings.worker().stopTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // The JVM's exit still takes the workers with it: they exit when their pipes close.
        }
    }
}
