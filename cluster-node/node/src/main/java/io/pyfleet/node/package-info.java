/**
 * A pyfleet node embedded in this JVM: {@link io.pyfleet.node.EmbeddedFleet} starts one and returns its
 * {@code io.pyfleet.client.Fleet}.
 *
 * <pre>{@code
 * try (Fleet fleet = EmbeddedFleet.builder()
 *         .pythonPath(Path.of("src/main/python"))   // the project's own Python modules
 *         .workers(4)
 *         .start()) {
 *     Model model = fleet.bind(Model.class, "mymodel");
 * }
 * }</pre>
 *
 * <p>The node logs through SLF4J and brings no logging backend: add one (logback-classic, say) to see its log,
 * which carries what the workers print. The subpackages of {@code io.pyfleet.node} are the implementation,
 * not API.
 */
package io.pyfleet.node;
