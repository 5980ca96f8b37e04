package io.pyfleet.node.pool;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NotAllowedException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolInfo;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.client.PoolStartException;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.UnknownPoolException;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.node.call.CallPath;
import io.pyfleet.node.config.PoolsSettings;
import io.pyfleet.node.config.PyfleetSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's named Python pools, next to its default one: each has its own {@link PoolManager}
 * (a system actor), its own settings (interpreter, Python path, environment, size) and its own
 * {@link CallPath}, whose handles carry the node string {@code <node's handle node>/<pool>} so
 * that calls on them come back to it. Calls find their path here ({@link #path}); starting,
 * resizing, stopping and listing never block the caller's thread (they answer futures).
 */
public final class NodePools implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodePools.class);

    /** The node's default pool, as the registry needs it. */
    public interface DefaultPool {
        int size();

        void resize(int workers);

        CompletionStage<PoolStats> stats();
    }

    /** One running named pool. */
    private static final class Entry {
        final PoolSpec spec;
        final PyfleetSettings settings;
        final CallPath path;
        final ActorRef<PoolManager.Command> manager;
        volatile int size;

        Entry(PoolSpec spec, PyfleetSettings settings, CallPath path, ActorRef<PoolManager.Command> manager) {
            this.spec = spec;
            this.settings = settings;
            this.path = path;
            this.manager = manager;
            this.size = spec.workers();
        }
    }

    private final ActorSystem<?> system;
    private final PyfleetSettings settings;
    private final PoolsSettings limits;
    private final CallPath defaultPath;
    private final DefaultPool defaultPool;
    private final String prefix;
    private final Map<String, Entry> pools = new ConcurrentHashMap<>();
    /** Names being started, so that two starts of one name cannot both run; guarded by this. */
    private final Set<String> starting = new HashSet<>();
    private final AtomicLong actorSeq = new AtomicLong();
    /** Starts and stops wait for workers: never on an actor's, a reader's or a connection's thread. */
    private final ExecutorService control = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pyfleet-pools");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    public NodePools(ActorSystem<?> system, PyfleetSettings settings, PoolsSettings limits, CallPath defaultPath,
            DefaultPool defaultPool) {
        this.system = system;
        this.settings = settings;
        this.limits = limits;
        this.defaultPath = defaultPath;
        this.defaultPool = defaultPool;
        this.prefix = settings.handleNode() + "/";
    }

    // ---------------------------------------------------------------------------------- routing

    /**
     * The call path for a call: the named pool's ({@value PoolSpec#DEFAULT_POOL} or null: the
     * default one), else the pool that owns the first object among its values.
     *
     * @throws UnknownPoolException when the named pool does not run here (the call was not run)
     * @throws StaleHandleException when its object's pool was stopped
     */
    public CallPath path(String pool, Object target, List<?> args, Map<String, ?> kwargs) {
        if (pool != null) {
            return path(pool);
        }
        if (pools.isEmpty()) {
            return defaultPath; // the common case costs no walk over the arguments
        }
        Handle owner = firstHandle(target, 0);
        if (owner == null) {
            owner = firstHandle(args, 0);
        }
        if (owner == null) {
            owner = firstHandle(kwargs, 0);
        }
        return owner == null ? defaultPath : pathOf(owner);
    }

    /** The named pool's call path ({@value PoolSpec#DEFAULT_POOL} or null: the default one). */
    public CallPath path(String pool) {
        if (pool == null || PoolSpec.DEFAULT_POOL.equals(pool)) {
            return defaultPath;
        }
        Entry e = pools.get(pool);
        if (e == null) {
            throw new UnknownPoolException("node " + settings.nodeName() + " runs no pool '" + pool + "' (it runs "
                    + names() + "); the call was not run");
        }
        return e.path;
    }

    /** The call path of the pool that owns a handle. */
    public CallPath pathOf(Handle handle) {
        String node = handle.node();
        if (!node.startsWith(prefix)) {
            return defaultPath; // the default pool's, or another node's: the default path says which
        }
        String pool = node.substring(prefix.length());
        Entry e = pools.get(pool);
        if (e == null) {
            throw new StaleHandleException("handle " + handle.id() + " (" + handle.type() + ") belongs to pool '" + pool
                    + "' of node " + settings.nodeName() + ", which was stopped: the object is gone");
        }
        return e.path;
    }

    /** Releases a handle in the pool that owns it; nothing when that pool is gone (its objects went with it). */
    public void releaseWithoutBlocking(Handle handle) {
        try {
            pathOf(handle).releaseWithoutBlocking(handle);
        } catch (StaleHandleException e) {
            // the pool stopped: its workers, and the object with them, are gone
        }
    }

    private static Handle firstHandle(Object value, int depth) {
        Handle own = Handle.of(value);
        if (own != null) {
            return own;
        }
        if (depth > 64) {
            return null; // deeper (or cyclic) values fail in the encoder, wherever they go
        }
        Iterable<?> items = value instanceof Collection<?> c ? c
                : value instanceof Map<?, ?> m ? m.values()
                : value instanceof PyTuple t ? t.items() : null;
        if (items != null) {
            for (Object item : items) {
                Handle h = firstHandle(item, depth + 1);
                if (h != null) {
                    return h;
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------- lifecycle

    /**
     * Starts a named pool; the future completes once every worker serves and imports the spec's
     * required modules, or fails with a {@link PoolStartException} after everything started is stopped.
     */
    public CompletableFuture<PoolInfo> start(PoolSpec spec) {
        return CompletableFuture.supplyAsync(() -> startNow(spec), control);
    }

    private PoolInfo startNow(PoolSpec spec) {
        String name = spec.name();
        String where = "node " + settings.nodeName() + ": pool '" + name + "' cannot start: ";
        synchronized (this) {
            if (closed) {
                throw new PoolStartException(where + "the node is stopping");
            }
            if (pools.containsKey(name) || starting.contains(name)) {
                throw new PoolStartException(where + "a pool of that name " + (pools.containsKey(name) ? "runs"
                        : "is starting") + " already");
            }
            if (pools.size() + starting.size() >= limits.maxPools()) {
                throw new PoolStartException(where + "the node runs " + pools.size() + " named pool(s), its most "
                        + "(pyfleet.pools.max-pools = " + limits.maxPools() + "): stop one (Fleet.stopPool) or raise "
                        + "pyfleet.pools.max-pools");
            }
            starting.add(name);
        }
        try {
            checkFiles(spec, where);
            PyfleetSettings own = settingsFor(spec);
            CallPath path = new CallPath(own);
            ActorRef<PoolManager.Command> manager = system.systemActorOf(PoolManager.create(own, path),
                    "pool-" + name + "-" + actorSeq.incrementAndGet(), Props.empty());
            Entry entry = new Entry(spec, own, path, manager);
            try {
                awaitServing(entry, where);
                requireModules(entry, where);
            } catch (RuntimeException e) {
                stopNow(entry);
                throw e;
            }
            synchronized (this) {
                if (closed) {
                    stopNow(entry);
                    throw new PoolStartException(where + "the node is stopping");
                }
                pools.put(name, entry);
            }
            log.info("pool '{}' started on node {}: {} worker(s) of {}", name, settings.nodeName(), spec.workers(),
                    spec.python());
            return new PoolInfo(name, settings.nodeName(), spec.workers(), spec.workers(), spec.python());
        } finally {
            synchronized (this) {
                starting.remove(name);
            }
        }
    }

    /** A path that cannot work is said before any process is started. */
    private static void checkFiles(PoolSpec spec, String where) {
        if (spec.python().contains("/")) {
            Path python = Path.of(spec.python());
            if (!Files.exists(python)) {
                throw new PoolStartException(where + "interpreter " + python + " does not exist");
            }
            if (!Files.isExecutable(python) || Files.isDirectory(python)) {
                throw new PoolStartException(where + "interpreter " + python + " is not an executable file");
            }
        }
        for (String dir : spec.pythonPath()) {
            if (!Files.isDirectory(Path.of(dir))) {
                throw new PoolStartException(where + "python-path entry " + dir + " is not a directory");
            }
        }
    }

    /** The node's settings with the spec's interpreter, path, environment and size, and its own handle node. */
    private PyfleetSettings settingsFor(PoolSpec spec) {
        PyfleetSettings.Worker w = settings.worker();
        Map<String, String> env = new LinkedHashMap<>(w.environment());
        env.putAll(spec.environment());
        PyfleetSettings.Worker worker = new PyfleetSettings.Worker(spec.python(),
                spec.pythonPath().stream().map(Path::of).toList(), env, w.workingDirectory(), w.startTimeout(),
                w.stopTimeout(), w.maxFrameSize(), w.memoryLimit(), w.processLimit(), w.oomScoreAdj(),
                w.inheritEnvironment());
        PyfleetSettings.Pool p = settings.pool();
        PyfleetSettings.Pool pool = new PyfleetSettings.Pool(spec.workers(), p.strategy(), p.pipelineDepth(),
                p.queueBound(), p.callTimeout());
        return new PyfleetSettings(settings.nodeName(), prefix + spec.name(), worker, pool, settings.supervision(),
                settings.scatter());
    }

    private void awaitServing(Entry entry, String where) {
        Duration limit = entry.settings.worker().startTimeout().plusSeconds(5);
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            PoolStats stats = Fleet.join(stats(entry).toCompletableFuture());
            if (stats.failed() != null) {
                throw new PoolStartException(where + WorkerSupervisor.withoutCoolDown(stats.failed()));
            }
            long ready = stats.workers().stream().filter(PoolStats.WorkerStats::ready).count();
            if (ready >= entry.spec.workers()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new PoolStartException(where + "only " + ready + " of " + entry.spec.workers()
                        + " workers started within " + limit);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PoolStartException(where + "interrupted while its workers started");
            }
        }
    }

    /** Every worker imports every required module: a module that is missing anywhere stops the start. */
    private void requireModules(Entry entry, String where) {
        CallOptions options = CallOptions.builder().timeout(entry.settings.worker().startTimeout()).build();
        for (String module : entry.spec.requires()) {
            for (Outcome o : Fleet.join(entry.path.identical(Call.importModule(module).with(options)))) {
                if (!o.isOk()) {
                    throw new PoolStartException(where + "required module '" + module + "' does not import with "
                            + entry.spec.python() + ": " + o.error().getMessage());
                }
            }
        }
    }

    /** Grows or shrinks a pool ({@value PoolSpec#DEFAULT_POOL}: the default one). */
    public void resize(String name, int workers) {
        PoolSpec.requireWorkers(workers);
        if (PoolSpec.DEFAULT_POOL.equals(name)) {
            defaultPool.resize(workers);
            return;
        }
        Entry e = entry(name);
        e.size = workers;
        e.manager.tell(new PoolManager.Resize(workers));
    }

    /**
     * Stops a named pool: from now on calls naming it fail as unknown, calls on its objects as
     * stale; its calls in flight fail as when a fleet closes; the future completes once its
     * workers are gone.
     */
    public CompletableFuture<Void> stop(String name) {
        if (PoolSpec.DEFAULT_POOL.equals(name)) {
            throw new NotAllowedException("the default pool of node " + settings.nodeName()
                    + " stops only with the node");
        }
        Entry e;
        synchronized (this) {
            e = entry(name);
            pools.remove(name);
        }
        log.info("stopping pool '{}' on node {}", name, settings.nodeName());
        return CompletableFuture.runAsync(() -> stopNow(e), control);
    }

    private void stopNow(Entry e) {
        e.path.close();
        e.manager.tell(new PoolManager.Stop());
        e.path.awaitWorkersGone(e.settings.worker().stopTimeout().plusSeconds(2));
        e.path.shutdownCallbacks(1000);
    }

    private Entry entry(String name) {
        Entry e = pools.get(name);
        if (e == null) {
            throw new UnknownPoolException("node " + settings.nodeName() + " runs no pool '" + name + "' (it runs "
                    + names() + ")");
        }
        return e;
    }

    /** The default pool, then the named ones by name; answered without blocking. */
    public CompletableFuture<List<PoolInfo>> list() {
        List<CompletableFuture<PoolInfo>> parts = new ArrayList<>();
        parts.add(defaultPool.stats().toCompletableFuture().thenApply(s -> info(PoolSpec.DEFAULT_POOL,
                defaultPool.size(), s, settings.worker().interpreter())));
        // a pool stopped while it is asked is left out, not a failed list
        new TreeMap<>(pools).forEach((name, e) -> parts.add(stats(e).toCompletableFuture()
                .thenApply(s -> info(name, e.size, s, e.spec.python())).exceptionally(failure -> null)));
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(v -> parts.stream().map(CompletableFuture::join).filter(java.util.Objects::nonNull).toList());
    }

    private PoolInfo info(String name, int size, PoolStats stats, String python) {
        int ready = (int) stats.workers().stream().filter(PoolStats.WorkerStats::ready).count();
        return new PoolInfo(name, settings.nodeName(), size, ready, python);
    }

    private CompletionStage<PoolStats> stats(Entry e) {
        return AskPattern.ask(e.manager, PoolManager.GetStats::new, Duration.ofSeconds(10), system.scheduler());
    }

    /** The pools' names, the default one first. */
    public List<String> names() {
        List<String> names = new ArrayList<>();
        names.add(PoolSpec.DEFAULT_POOL);
        names.addAll(new TreeMap<>(pools).keySet());
        return names;
    }

    /**
     * Ends every pending call of every named pool at once, as {@link CallPath#close()} does for
     * the default one (a stopping node's last step before its connections close); new calls fail.
     */
    public void closeCalls() {
        pools.values().forEach(e -> e.path.close());
    }

    /** Stops every named pool (the node is stopping): their calls fail, their workers stop. */
    @Override
    public void close() {
        List<Entry> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(pools.values());
            pools.clear();
        }
        for (Entry e : all) {
            e.path.close();
            e.manager.tell(new PoolManager.Stop());
        }
        for (Entry e : all) {
            e.path.awaitWorkersGone(e.settings.worker().stopTimeout().plusSeconds(2));
            e.path.shutdownCallbacks(1000);
        }
        control.shutdown();
    }
}
