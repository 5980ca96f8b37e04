package io.pyfleet.client;

import io.pyfleet.client.internal.Waiting;
import io.pyfleet.client.internal.bind.Binding;
import io.pyfleet.client.internal.remote.RemoteFleet;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * pyfleet's API: call Python through a pool of supervised worker processes. The same
 * interface is served by an embedded node ({@code io.pyfleet.node.EmbeddedFleet} in the
 * {@code pyfleet-node} artifact) and by a node's gateway over TCP ({@link #connect(ClientOptions)},
 * the thin client).
 *
 * <p>Values cross as the protocol's value model: null, Boolean, Long/BigInteger, Double,
 * String, byte[], List, {@link io.pyfleet.client.PyTuple}, Map, Set, java.time types,
 * {@link io.pyfleet.client.NdArray}, {@link io.pyfleet.client.PyComplex}. Python
 * objects with no value encoding come back as {@link PyObject}s that stay in their worker.
 * Every failure is a {@link PyFleetException} subclass.
 */
public interface Fleet extends AutoCloseable {

    /**
     * The thin client: connects to a node's gateway. The connection is made at once and again after it breaks,
     * at the next call, to the next address when one is down.
     *
     * @param options the addresses, the token and the connection settings
     * @return a fleet served by the node's workers; close it to end the connection
     * @throws AuthenticationException when the node refuses the token or cannot prove it holds it
     * @throws ConnectionLostException when no address could be reached
     */
    static Fleet connect(ClientOptions options) {
        return RemoteFleet.connect(options);
    }

    /**
     * {@link #connect(ClientOptions)} with the defaults, a token and one or more {@code host:port}.
     *
     * @param token     the node's gateway token (for instance {@code System.getenv("PYFLEET_TOKEN")})
     * @param addresses one or more {@code host:port}, tried in order
     * @return a fleet served by the node's workers; close it to end the connection
     * @throws AuthenticationException when the node refuses the token or cannot prove it holds it
     * @throws ConnectionLostException when no address could be reached
     */
    static Fleet connect(String token, String... addresses) {
        return RemoteFleet.connect(ClientOptions.builder().token(token).address(addresses).build());
    }

    /**
     * The general form: any operation with its options ({@link Call}, {@link CallOptions}).
     *
     * @param call the operation, its arguments and options
     * @return a future completed with the result, or with the failure (a {@link PyFleetException})
     */
    CompletableFuture<Object> submit(Call call);

    /**
     * Calls a function by its dotted name and returns its result: {@code call("os.path.isdir", "/tmp")}.
     * Each argument is one positional argument (a {@code List} is one Python list, a {@code Map} one dict);
     * a {@link Kwargs} last gives keyword arguments: {@code call("builtins.int", "101010", Kwargs.of("base", 2))}.
     *
     * @param function the function's dotted name, {@code module.function} (or {@code module.Class.method})
     * @param args     its positional arguments, then optionally a {@link Kwargs}
     * @return the function's result as a Java value, or a {@link PyObject} when it has no value encoding
     * @throws PythonException when the function raises (its Python frames on top of the stack trace)
     * @throws PyFleetException for every other way the call can fail (timeout, worker lost...)
     */
    default Object call(String function, Object... args) {
        return join(callAsync(function, args));
    }

    /**
     * {@link #call(String, Object...)} without waiting.
     *
     * @param function the function's dotted name
     * @param args     its positional arguments, then optionally a {@link Kwargs}
     * @return a future completed with the result, or with the failure (a {@link PyFleetException})
     */
    default CompletableFuture<Object> callAsync(String function, Object... args) {
        return submit(Call.function(function, Call.positional(args), Call.keywords(args)));
    }

    /**
     * {@link #call(String, Object...)} whose result comes back as a {@link PyArray} whatever its size (what
     * {@code numpy.asarray} makes of it): in node memory on an embedded fleet, kept on the node over TCP.
     *
     * @param function the function's dotted name
     * @param args     its positional arguments, then optionally a {@link Kwargs}
     * @return the result as an array; close it to free its memory
     * @throws PythonException when the function raises, or its result is not made an array
     * @throws PyFleetException for every other way the call can fail
     */
    default PyArray callArray(String function, Object... args) {
        return (PyArray) join(submit(Call.function(function, Call.positional(args), Call.keywords(args))
                .with(CallOptions.builder().asArray().build())));
    }

    /**
     * Reads a module constant: {@code constant("math.pi")}.
     *
     * @param name the constant's dotted name
     * @return its value
     * @throws PythonException when there is no such module or name
     */
    default Object constant(String name) {
        return join(submit(Call.constant(name, null)));
    }

    /**
     * Reads a module constant coerced to a type: {@code constant("math.pi", Coerce.INT)} is {@code 3L}.
     *
     * @param name   the constant's dotted name
     * @param coerce the Python type to convert it to first (null: none)
     * @return its value
     * @throws PythonException when there is no such module or name, or it does not convert
     */
    default Object constant(String name, Coerce coerce) {
        return join(submit(Call.constant(name, coerce)));
    }

    /**
     * Instantiates a class: {@code init("datetime.date", 1923, 4, 2)}; a {@link Kwargs} last gives keyword
     * arguments. An object with no value encoding stays in its worker and comes back as a {@link PyObject}.
     *
     * @param className the class's dotted name
     * @param args      the constructor's positional arguments, then optionally a {@link Kwargs}
     * @return the new object as a value, or a {@link PyObject}
     * @throws PythonException when the constructor raises
     */
    default Object init(String className, Object... args) {
        return join(submit(Call.init(className, Call.positional(args), Call.keywords(args))));
    }

    /**
     * Calls a method on a {@link PyObject} (in the worker that holds it), or on a plain value rebuilt in
     * Python: {@code method(date, "strftime", "%Y")}; a {@link Kwargs} last gives keyword arguments.
     *
     * @param target the object: a {@link PyObject}, or a value
     * @param method the method's name
     * @param args   its positional arguments, then optionally a {@link Kwargs}
     * @return the method's result
     * @throws PythonException when the method raises
     * @throws StaleHandleException when {@code target} was released, or its worker is gone
     */
    default Object method(Object target, String method, Object... args) {
        return join(submit(Call.method(target, method, Call.positional(args), Call.keywords(args))));
    }

    /**
     * Reads an attribute of a {@link PyObject} or of a plain value: {@code attr(date, "year")}.
     *
     * @param target the object: a {@link PyObject}, or a value
     * @param name   the attribute's name
     * @return its value
     * @throws PythonException when there is no such attribute
     */
    default Object attr(Object target, String name) {
        return join(submit(Call.attr(target, name)));
    }

    /**
     * Calls a builtin: {@code builtin("pow", 6, 42)}; a {@link Kwargs} last gives keyword arguments.
     *
     * @param name the builtin's name
     * @param args its positional arguments, then optionally a {@link Kwargs}
     * @return its result
     * @throws PythonException when it raises
     */
    default Object builtin(String name, Object... args) {
        return join(submit(Call.builtin(name, Call.positional(args), Call.keywords(args))));
    }

    /**
     * Calls a function of the operator module: {@code operator("add", 37, 5)}.
     *
     * @param name the function's name in {@code operator}
     * @param args its positional arguments
     * @return its result
     * @throws PythonException when it raises
     */
    default Object operator(String name, Object... args) {
        return join(submit(Call.operator(name, Call.positional(args))));
    }

    /**
     * Imports a module in a worker (one of the pool's, whichever serves the call).
     *
     * @param module the module's dotted name
     * @return what the worker answers for it
     * @throws PythonException when the import fails
     */
    default Object importModule(String module) {
        return join(submit(Call.importModule(module)));
    }

    /**
     * The versions a worker runs.
     *
     * @return Python, NumPy, worker package and protocol versions, by name
     */
    @SuppressWarnings("unchecked")
    default Map<String, Object> versions() {
        return (Map<String, Object>) join(submit(Call.versions()));
    }

    /**
     * The same call on every worker of the pool.
     *
     * @param call the operation, sent once to each worker
     * @return a future of one outcome per worker, each its value or its error
     */
    CompletableFuture<List<Outcome>> identicalAsync(Call call);

    /**
     * The function called once on every worker of the pool, with the same arguments.
     *
     * @param function the function's dotted name
     * @param args     its positional arguments, then optionally a {@link Kwargs}
     * @return one outcome per worker, each its value or its error
     */
    default List<Outcome> identical(String function, Object... args) {
        return join(identicalAsync(Call.function(function, Call.positional(args), Call.keywords(args))));
    }

    /**
     * Scatter/gather: the function called once per argument list, spread over the workers;
     * outcomes in input order, each its value or its error.
     *
     * @param name         the function's dotted name
     * @param argumentSets one list of positional arguments per call
     * @param options      options of every call ({@link CallOptions#DEFAULT}: none)
     * @return a future of the outcomes, one per argument list, in input order
     */
    CompletableFuture<List<Outcome>> scatterAsync(String name, List<? extends List<?>> argumentSets,
            CallOptions options);

    /**
     * {@link #scatterAsync} with the default options, waiting for every outcome.
     *
     * @param name         the function's dotted name
     * @param argumentSets one list of positional arguments per call
     * @return the outcomes, one per argument list, in input order
     */
    default List<Outcome> scatter(String name, List<? extends List<?>> argumentSets) {
        return join(scatterAsync(name, argumentSets, CallOptions.DEFAULT));
    }

    /**
     * Binds a Python module to a Java interface: each abstract method of {@code api} calls a function of the
     * module and converts the result to the declared return type
     * ({@code fleet.bind(Stats.class, "statistics").medianGrouped(List.of(1, 2, 3))} calls
     * {@code statistics.median_grouped}). The function is the method's name, else its snake_case form, or what
     * {@link io.pyfleet.client.PyName} says (dotted names allowed). {@link io.pyfleet.client.Kw} makes a parameter
     * a keyword argument, a varargs method spreads its last argument, a {@code CompletableFuture} return type makes
     * a method asynchronous, default methods run as Java.
     *
     * <p>The module is looked up once, now, in one round trip to a worker of the default pool: every method
     * must find a callable, and the names found are the ones the calls use.
     *
     * @param <T>    the interface
     * @param api    the interface to implement
     * @param module the module's dotted name, as {@code call} resolves it
     * @return a proxy of {@code api} whose methods call the module's functions
     * @throws IllegalArgumentException at once, before any lookup, when {@code api} is not an interface, declares
     *                                  a return type that cannot be bound, or has a bad {@code @PyName} or
     *                                  {@code @Kw}
     * @throws BindException            when the module does not import (with Python's message), or methods have
     *                                  no function to call or name something that is not callable (all of them
     *                                  in one message, with the names looked for)
     * @throws NotAllowedException      over TCP, when the node's {@code pyfleet.gateway.allow} lets this client
     *                                  reach none of the names a method may call, as a call would be refused
     * @throws PyFleetException         when the lookup cannot run (a timeout, a lost connection...)
     */
    default <T> T bind(Class<T> api, String module) {
        return Binding.bind(this, api, module, CallOptions.DEFAULT);
    }

    /**
     * {@link #bind(Class, String)} with options for every call (a timeout, a pool, a node...); the lookup runs
     * where the calls will, in their pool and on their node, within their timeout.
     *
     * @param <T>     the interface
     * @param api     the interface to implement
     * @param module  the module's dotted name, as {@code call} resolves it
     * @param options the options of every call, and of the lookup (its pool, node and timeout)
     * @return a proxy of {@code api} whose methods call the module's functions
     * @throws IllegalArgumentException as {@link #bind(Class, String)} does
     * @throws BindException            as {@link #bind(Class, String)} does
     * @throws NotAllowedException      as {@link #bind(Class, String)} does
     * @throws UnknownPoolException     when the options name a pool the node does not run
     */
    default <T> T bind(Class<T> api, String module, CallOptions options) {
        return Binding.bind(this, api, module, options);
    }

    /**
     * A float64 array holding a copy of {@code data}, 1-d or of {@code shape}: in the node's shared memory on an
     * embedded fleet (one copy, workers map it), sent to the node in chunks by a thin client, whatever its size.
     * Pass it to calls as an argument; close it (or drop it) to free it.
     *
     * @param data  the elements, in C order
     * @param shape the array's shape; none: 1-d
     * @return the array
     */
    PyArray array(double[] data, long... shape);

    /**
     * A float32 array; see {@link #array(double[], long...)}.
     *
     * @param data  the elements, in C order
     * @param shape the array's shape; none: 1-d
     * @return the array
     */
    PyArray array(float[] data, long... shape);

    /**
     * An int64 array; see {@link #array(double[], long...)}.
     *
     * @param data  the elements, in C order
     * @param shape the array's shape; none: 1-d
     * @return the array
     */
    PyArray array(long[] data, long... shape);

    /**
     * An int32 array; see {@link #array(double[], long...)}.
     *
     * @param data  the elements, in C order
     * @param shape the array's shape; none: 1-d
     * @return the array
     */
    PyArray array(int[] data, long... shape);

    /**
     * An int16 array; see {@link #array(double[], long...)}.
     *
     * @param data  the elements, in C order
     * @param shape the array's shape; none: 1-d
     * @return the array
     */
    PyArray array(short[] data, long... shape);

    /**
     * An int8 array; see {@link #array(double[], long...)}.
     *
     * @param data  the elements, in C order
     * @param shape the array's shape; none: 1-d
     * @return the array
     */
    PyArray array(byte[] data, long... shape);

    /**
     * A bool array; see {@link #array(double[], long...)}.
     *
     * @param data  the elements, in C order
     * @param shape the array's shape; none: 1-d
     * @return the array
     */
    PyArray array(boolean[] data, long... shape);

    /**
     * An array of any dtype from the remaining bytes of {@code data} (C order, little-endian), of {@code shape};
     * see {@link #array(double[], long...)}.
     *
     * @param dtype the elements' type
     * @param data  the elements' bytes, from its position to its limit
     * @param shape the array's shape; none: 1-d
     * @return the array
     */
    PyArray array(DType dtype, ByteBuffer data, long... shape);

    /**
     * How many workers the pool is set to run.
     *
     * @return the default pool's size
     */
    int poolSize();

    /**
     * Grows or shrinks the pool; shrinking lets the removed workers finish their calls first.
     *
     * @param workers the new size, at least 1
     */
    void resize(int workers);

    /**
     * Per-worker statistics of the default pool.
     *
     * @return the node's name and uptime and one row per worker
     */
    PoolStats stats();

    /**
     * The nodes of the cluster, by name, as the node serving this fleet sees them; a fleet in
     * no cluster lists only itself.
     *
     * @return one status per node
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
     * @param spec the pool's name, interpreter, size, Python path and environment
     * @return the pool as it serves
     * @throws PoolStartException naming the node and the cause when it cannot start (nothing is left running)
     */
    PoolInfo startPool(PoolSpec spec);

    /**
     * Grows or shrinks a named pool ({@value PoolSpec#DEFAULT_POOL}: the default one) on a node (null: this one).
     *
     * @param node    the node's name; null: the node this fleet talks to
     * @param name    the pool's name
     * @param workers the new size, at least 1
     * @throws UnknownPoolException when the node runs no such pool
     */
    void resizePool(String node, String name, int workers);

    /**
     * Stops a named pool: its calls in flight fail as when a fleet closes (they may have run),
     * its objects are released and its workers stopped. The default pool stops only with the node.
     *
     * @param node the node's name; null: the node this fleet talks to
     * @param name the pool's name
     * @throws UnknownPoolException when the node runs no such pool
     */
    void stopPool(String node, String name);

    /**
     * The pools of a node, the default one first.
     *
     * @param node the node's name; null: the node this fleet talks to
     * @return one entry per pool
     */
    List<PoolInfo> pools(String node);

    /**
     * Ends this fleet: an embedded node stops its workers (and everything they started); a thin client closes
     * its connection, which releases its objects on the node. Calls still pending fail with a
     * {@link FleetClosedException}.
     */
    @Override
    void close();

    /**
     * Waits for a future, unwrapping the failure into its {@link PyFleetException}: a copy of the exception
     * the future failed with (same type and fields, that exception as its cause) whose stack trace is the
     * Python frames, if any, then this thread's own frames, so that it points at the failing Python line
     * and at the Java line that made the call (a program's own subclass of {@link PyFleetException} is
     * rethrown as it is, keeping its type). An interrupt ends the wait at once with a
     * {@link CallInterruptedException}; the thread's interrupt flag stays set.
     *
     * @param <T>    the result's type
     * @param future a future of this API
     * @return its result
     * @throws PyFleetException the call's failure, as above
     * @throws CallInterruptedException when the waiting thread is interrupted
     */
    static <T> T join(CompletableFuture<T> future) {
        Waiting.spinBriefly(future);
        try {
            return future.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof PyFleetException p) {
                throw p.forCaller();
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
