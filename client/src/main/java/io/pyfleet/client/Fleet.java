package io.pyfleet.client;

import io.pyfleet.client.bind.Binding;
import io.pyfleet.client.remote.ClientOptions;
import io.pyfleet.client.remote.RemoteFleet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * pyfleet's API: call Python through a pool of supervised worker processes. The same
 * interface is served by an embedded node ({@code EmbeddedFleet} in cluster-node) and by
 * a node's gateway over TCP ({@link #connect(ClientOptions)}, the thin client).
 *
 * <p>Values cross as the protocol's value model: null, Boolean, Long/BigInteger, Double,
 * String, byte[], List, {@link io.pyfleet.client.PyTuple}, Map, Set, java.time types,
 * {@link io.pyfleet.client.NdArray}, {@link io.pyfleet.client.PyComplex}. Python
 * objects with no value encoding come back as {@link PyObject}s that stay in their worker.
 * Every failure is a {@link PyFleetException} subclass.
 */
public interface Fleet extends AutoCloseable {

    /**
     * The thin client: connects to a node's gateway (see {@link RemoteFleet}).
     *
     * @throws AuthenticationException when the node refuses the token or cannot prove it holds it
     * @throws ConnectionLostException when no address could be reached
     */
    static Fleet connect(ClientOptions options) {
        return RemoteFleet.connect(options);
    }

    /** {@link #connect(ClientOptions)} with the defaults, a token and one or more {@code host:port}. */
    static Fleet connect(String token, String... addresses) {
        return RemoteFleet.connect(ClientOptions.builder().token(token).address(addresses).build());
    }

    /** The general form: any operation of the protocol with its options. */
    CompletableFuture<Object> submit(Call call);

    /** Calls a function by dotted name: {@code call("os.path.isdir", "/tmp")}. */
    default Object call(String name, Object... args) {
        return join(submit(Call.function(name, List.of(args), Map.of())));
    }

    default Object call(String name, List<?> args, Map<String, ?> kwargs) {
        return join(submit(Call.function(name, args, kwargs)));
    }

    default CompletableFuture<Object> callAsync(String name, Object... args) {
        return submit(Call.function(name, List.of(args), Map.of()));
    }

    default CompletableFuture<Object> callAsync(String name, List<?> args, Map<String, ?> kwargs) {
        return submit(Call.function(name, args, kwargs));
    }

    /** Reads a module constant: {@code constant("math.pi")}. */
    default Object constant(String name) {
        return join(submit(Call.constant(name, null)));
    }

    default Object constant(String name, Coerce coerce) {
        return join(submit(Call.constant(name, coerce)));
    }

    /** Instantiates a class: {@code init("datetime.date", List.of(1923, 4, 2), Map.of())}. */
    default Object init(String className, List<?> args, Map<String, ?> kwargs) {
        return join(submit(Call.init(className, args, kwargs)));
    }

    /** Calls a method on a {@link PyObject} or on a plain value rebuilt in Python. */
    default Object method(Object target, String method, Object... args) {
        return join(submit(Call.method(target, method, List.of(args), Map.of())));
    }

    default Object method(Object target, String method, List<?> args, Map<String, ?> kwargs) {
        return join(submit(Call.method(target, method, args, kwargs)));
    }

    /** Reads an attribute of a {@link PyObject} or of a plain value. */
    default Object attr(Object target, String name) {
        return join(submit(Call.attr(target, name)));
    }

    /** Calls a builtin: {@code builtin("pow", 6, 42)}. */
    default Object builtin(String name, Object... args) {
        return join(submit(Call.builtin(name, List.of(args), Map.of())));
    }

    /** Calls a function of the operator module: {@code operator("add", 37, 5)}. */
    default Object operator(String name, Object... args) {
        return join(submit(Call.operator(name, List.of(args))));
    }

    /** Imports a module in a worker. */
    default Object importModule(String module) {
        return join(submit(Call.importModule(module)));
    }

    /** Python, NumPy, worker package and protocol versions of a worker. */
    @SuppressWarnings("unchecked")
    default Map<String, Object> versions() {
        return (Map<String, Object>) join(submit(Call.versions()));
    }

    /** The same call on every worker of the pool: one outcome per worker. */
    CompletableFuture<List<Outcome>> identicalAsync(Call call);

    default List<Outcome> identical(String name, Object... args) {
        return join(identicalAsync(Call.function(name, List.of(args), Map.of())));
    }

    /**
     * Scatter/gather: the function called once per argument list, spread over the workers;
     * outcomes in input order, each its value or its error.
     */
    CompletableFuture<List<Outcome>> scatterAsync(String name, List<? extends List<?>> argumentSets,
            CallOptions options);

    default List<Outcome> scatter(String name, List<? extends List<?>> argumentSets) {
        return join(scatterAsync(name, argumentSets, CallOptions.DEFAULT));
    }

    /**
     * Binds a Python module to a Java interface: each abstract method of {@code api} calls the module's
     * function of the same name and converts the result to the declared return type
     * ({@code fleet.bind(Stats.class, "statistics").mean(List.of(1, 2, 3))}). See {@link Binding} for the
     * rules ({@link io.pyfleet.client.bind.PyName}, {@link io.pyfleet.client.bind.Kw}, async methods).
     *
     * @throws IllegalArgumentException at once when {@code api} declares a return type that cannot be bound
     */
    default <T> T bind(Class<T> api, String module) {
        return Binding.bind(this, api, module, CallOptions.DEFAULT);
    }

    /** {@link #bind(Class, String)} with options for every call (a timeout, a pool...). */
    default <T> T bind(Class<T> api, String module, CallOptions options) {
        return Binding.bind(this, api, module, options);
    }

    /** Number of workers the pool is set to run. */
    int poolSize();

    /** Grows or shrinks the pool; shrinking lets the removed workers finish their calls first. */
    void resize(int workers);

    /** Per-worker statistics. */
    PoolStats stats();

    /**
     * The nodes of the cluster, by name, as the node serving this fleet sees them; a fleet in
     * no cluster lists only itself.
     */
    default List<NodeStatus> nodes() {
        PoolStats s = stats();
        long free = s.workers().stream().filter(w -> w.ready() && w.inFlight() == 0).count();
        return List.of(new NodeStatus(s.node(), true, true, "", List.of(), poolSize(), (int) free, List.of("default"),
                s.uptime()));
    }

    /**
     * Starts a named Python pool next to the node's default one (on {@link PoolSpec#node()}, or
     * the node this fleet talks to) and returns once every worker serves and imports the spec's
     * required modules. Calls reach it with {@link CallOptions.Builder#pool(String)}; objects
     * made there stay there.
     *
     * @throws PoolStartException naming the node and the cause when it cannot start (nothing is left running)
     */
    PoolInfo startPool(PoolSpec spec);

    /**
     * Grows or shrinks a named pool ({@value PoolSpec#DEFAULT_POOL}: the default one) on a node (null: this one).
     *
     * @throws UnknownPoolException when the node runs no such pool
     */
    void resizePool(String node, String name, int workers);

    /**
     * Stops a named pool: its calls in flight fail as when a fleet closes (they may have run),
     * its objects are released and its workers stopped. The default pool stops only with the node.
     *
     * @throws UnknownPoolException when the node runs no such pool
     */
    void stopPool(String node, String name);

    /** The pools of a node (null: this one), the default one first. */
    List<PoolInfo> pools(String node);

    /** Stops the workers and the node. */
    @Override
    void close();

    /**
     * Waits for a future, unwrapping the failure into its {@link PyFleetException}. An
     * interrupt ends the wait at once with a {@link CallInterruptedException}; the thread's
     * interrupt flag stays set.
     */
    static <T> T join(CompletableFuture<T> future) {
        Waiting.spinBriefly(future);
        try {
            return future.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof PyFleetException p) {
                throw p;
            }
            throw new PyFleetException("call failed: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.CancellationException e) {
            throw new PyFleetException("call cancelled", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallInterruptedException("interrupted while waiting for a call; the call goes on in its "
                    + "worker and its outcome is dropped", e);
        }
    }
}
