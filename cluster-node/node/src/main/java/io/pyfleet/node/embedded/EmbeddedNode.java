package io.pyfleet.node.embedded;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.DType;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NodeLostException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolFailedException;
import io.pyfleet.client.PoolInfo;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.node.arrays.NodeArrays;
import io.pyfleet.node.call.CallPath;
import io.pyfleet.node.config.ArraySettings;
import io.pyfleet.node.config.PoolsSettings;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.pool.NodePools;
import io.pyfleet.node.pool.PoolManager;
import io.pyfleet.node.pool.WorkerSupervisor;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A node inside this JVM: an actor system whose guardian is the {@link PoolManager} with
 * its supervised Python workers, and the node's {@link CallPath}, which every call takes
 * from the caller's thread. {@link #start()} returns once every worker serves.
 */
public final class EmbeddedNode implements Fleet {
    private final ActorSystem<PoolManager.Command> system;
    private final PyfleetSettings settings;
    private final CallPath path;
    private final NodePools pools;
    private final NodeArrays arrays;
    private volatile int poolSize;

    private EmbeddedNode(ActorSystem<PoolManager.Command> system, PyfleetSettings settings, PoolsSettings limits,
            CallPath path, NodeArrays arrays) {
        this.system = system;
        this.arrays = arrays;
        this.settings = settings;
        this.path = path;
        this.poolSize = settings.pool().size();
        this.pools = new NodePools(system, settings, limits, path, new NodePools.DefaultPool() {
            @Override
            public int size() {
                return poolSize;
            }

            @Override
            public void resize(int workers) {
                EmbeddedNode.this.resize(workers);
            }

            @Override
            public CompletionStage<PoolStats> stats() {
                return statsAsync();
            }
        });
    }

    /** A node with the defaults: application.conf on the classpath, system properties over it. */
    public static EmbeddedNode start() {
        return start(ConfigFactory.load());
    }

    public static EmbeddedNode start(Config config) {
        return start(config, PyfleetSettings.from(config));
    }

    public static EmbeddedNode start(Config config, PyfleetSettings settings) {
        CallPath path = new CallPath(settings);
        ArraySettings arraySettings = ArraySettings.from(config);
        NodeArrays arrays = new NodeArrays(settings.handleNode(), NodeArrays.checkedDir(arraySettings.dir()),
                arraySettings.byValueMax(), arraySettings.poolMax());
        path.useArrays(arrays);
        ActorSystem<PoolManager.Command> system = ActorSystem.create(PoolManager.create(settings, path), "pyfleet",
                config);
        EmbeddedNode fleet = new EmbeddedNode(system, settings, PoolsSettings.from(config), path, arrays);
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
                // This node is closed at once, so it will not try again after a cool-down.
                throw new PoolFailedException("the embedded node did not start: "
                        + WorkerSupervisor.withoutCoolDown(stats.failed()));
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

    @Override
    public CompletableFuture<Object> submit(Call call) {
        CallPath to;
        try {
            requireOwnNode(call.options().node());
            to = pools.path(call.options().pool(), call.target(), call.args(), call.kwargs());
        } catch (PyFleetException e) {
            return CompletableFuture.failedFuture(e);
        }
        return to.submit(call, call.options().asArray());
    }

    @Override
    public CompletableFuture<List<Outcome>> identicalAsync(Call call) {
        try {
            requireOwnNode(call.options().node());
            return pools.path(call.options().pool()).identical(call);
        } catch (PyFleetException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<List<Outcome>> scatterAsync(String name, List<? extends List<?>> argumentSets,
            CallOptions options) {
        try {
            requireOwnNode(options == null ? null : options.node());
            return pools.path(options == null ? null : options.pool()).scatter(name, argumentSets, options);
        } catch (PyFleetException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public PoolInfo startPool(PoolSpec spec) {
        requireOwnNode(spec.node());
        return Fleet.join(pools.start(spec));
    }

    @Override
    public void resizePool(String node, String name, int workers) {
        requireOwnNode(node);
        pools.resize(PoolSpec.requireName(name), workers);
    }

    @Override
    public void stopPool(String node, String name) {
        requireOwnNode(node);
        Fleet.join(pools.stop(PoolSpec.requireName(name)));
    }

    @Override
    public List<PoolInfo> pools(String node) {
        requireOwnNode(node);
        return Fleet.join(pools.list());
    }

    /** An embedded fleet is one node: another node's name is an error, not a silent local run. */
    private void requireOwnNode(String node) {
        if (node != null && !node.equals(settings.nodeName())) {
            throw new NodeLostException("this fleet is node '" + settings.nodeName() + "' and reaches no other "
                    + "node, so not '" + node + "'; nothing was run", false);
        }
    }

    /** The node's pools, for the node's own front ends (the gateway). */
    public NodePools pools() {
        return pools;
    }

    /** The node's arrays in shared memory: Java data in ({@code arrays().of(double[], shape)}) and more. */
    public NodeArrays arrays() {
        return arrays;
    }

    /** A float64 array in node memory holding a copy of {@code data}, 1-d or of {@code shape}. */
    public PyArray array(double[] data, long... shape) {
        return arrays.of(data, shape);
    }

    /** A float32 array in node memory. */
    public PyArray array(float[] data, long... shape) {
        return arrays.of(data, shape);
    }

    /** An int64 array in node memory. */
    public PyArray array(long[] data, long... shape) {
        return arrays.of(data, shape);
    }

    /** An int32 array in node memory. */
    public PyArray array(int[] data, long... shape) {
        return arrays.of(data, shape);
    }

    /** An int16 array in node memory. */
    public PyArray array(short[] data, long... shape) {
        return arrays.of(data, shape);
    }

    /** An int8 array in node memory. */
    public PyArray array(byte[] data, long... shape) {
        return arrays.of(data, shape);
    }

    /** A bool array in node memory. */
    public PyArray array(boolean[] data, long... shape) {
        return arrays.of(data, shape);
    }

    /** An array of any dtype in node memory from the remaining bytes of {@code data} (C order, little-endian). */
    public PyArray array(DType dtype, ByteBuffer data, long... shape) {
        return arrays.copyOf(dtype, shape, data);
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
        system.tell(new PoolManager.Resize(workers));
    }

    @Override
    public PoolStats stats() {
        return Fleet.join(AskPattern.ask(system, (ActorRef<PoolStats> replyTo) -> new PoolManager.GetStats(replyTo),
                Duration.ofSeconds(10), system.scheduler()).toCompletableFuture());
    }

    /** This node alone (an embedded fleet is in no cluster), with its named pools. */
    @Override
    public List<io.pyfleet.client.NodeStatus> nodes() {
        PoolStats s = stats();
        long free = s.workers().stream().filter(w -> w.ready() && w.inFlight() == 0).count();
        return List.of(new io.pyfleet.client.NodeStatus(s.node(), true, true, "", List.of(), poolSize, (int) free,
                pools.names(), s.uptime()));
    }

    /** The stats without waiting: for threads that must not block (the gateway's). */
    public java.util.concurrent.CompletionStage<PoolStats> statsAsync() {
        return AskPattern.ask(system, (ActorRef<PoolStats> replyTo) -> new PoolManager.GetStats(replyTo),
                Duration.ofSeconds(10), system.scheduler());
    }

    /** The node's call path, for the node's own front ends (the gateway). */
    public CallPath callPath() {
        return path;
    }

    /** The node's actor system, for the node's own front ends (the gateway's streams). */
    public ActorSystem<?> system() {
        return system;
    }

    /** Kills a worker's process as a crash would; the supervisor restarts it. For tests and operators. */
    public void killWorker(String workerId) {
        system.tell(new PoolManager.KillWorker(workerId, "killed on request"));
    }

    public PyfleetSettings settings() {
        return settings;
    }

    /**
     * Stops the node: every pending call ends at once with a typed error (queued calls were
     * not run; calls in a worker may have run), new calls are refused, the workers and
     * everything they started are stopped, and the node's threads end.
     */
    @Override
    public void close() {
        pools.close();
        path.close();
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture()
                    .get(settings.worker().stopTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // The workers exit on their own when their pipes close.
        }
        path.awaitWorkersGone(settings.worker().stopTimeout().plusSeconds(2));
        path.shutdownCallbacks(1000);
        arrays.close();
    }
}
