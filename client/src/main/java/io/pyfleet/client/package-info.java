/**
 * pyfleet's API: call Python through supervised CPython worker processes from Java.
 *
 * <p>{@link io.pyfleet.client.Fleet} is the whole API, served alike by a node embedded in this JVM
 * ({@code io.pyfleet.node.EmbeddedFleet}, artifact {@code io.pyfleet:pyfleet-node}) and by a node's
 * gateway over TCP ({@link io.pyfleet.client.Fleet#connect(io.pyfleet.client.ClientOptions)}, this artifact,
 * {@code io.pyfleet:pyfleet-client}, alone):
 *
 * <pre>{@code
 * try (Fleet fleet = Fleet.connect(System.getenv("PYFLEET_TOKEN"), "127.0.0.1:7450")) {
 *     fleet.call("math.sqrt", 2.0);                                  // 1.4142135623730951
 *     fleet.call("builtins.int", "101010", Kwargs.of("base", 2));    // 42L
 *     Stats stats = fleet.bind(Stats.class, "statistics");           // a Python module as a Java interface
 *     NumPy np = NumPy.on(fleet);                                    // NumPy as one
 * }
 * }</pre>
 *
 * <p>Values cross as Java values ({@code Long}, {@code Double}, {@code String}, {@code List}, {@code Map},
 * {@link io.pyfleet.client.PyTuple}, {@link io.pyfleet.client.NdArray}, {@code java.time} types...); Python
 * objects without a value encoding stay in their worker as {@link io.pyfleet.client.PyObject}s, large
 * arrays in node memory as {@link io.pyfleet.client.PyArray}s. Every failure is a
 * {@link io.pyfleet.client.PyFleetException}, one subclass per kind of outcome. The packages below
 * {@code io.pyfleet.client.internal} and {@code io.pyfleet.protocol} are the implementation, not API.
 */
package io.pyfleet.client;
