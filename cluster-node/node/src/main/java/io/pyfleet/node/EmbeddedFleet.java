package io.pyfleet.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pyfleet.client.Fleet;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A pyfleet node inside this JVM: its supervised Python workers serve the {@link Fleet} it returns.
 *
 * <pre>{@code
 * try (Fleet fleet = EmbeddedFleet.builder()
 *         .pythonPath(Path.of("src/main/python"))    // where the project's own Python modules are
 *         .workers(4)
 *         .start()) {
 *     fleet.call("mymodel.score", 1.5);
 * }
 * }</pre>
 *
 * <p>Settings not set here come from {@code application.conf} on the class path (the node jar's own
 * defaults, every key commented) and {@code -Dpyfleet.*} system properties; the interpreter from
 * {@code PYFLEET_PYTHON}, else {@code python3}. {@link #start()} and {@link Builder#start()} return once every
 * worker serves; closing the fleet stops the node and everything its workers started.
 */
public final class EmbeddedFleet {
    private EmbeddedFleet() {
    }

    /**
     * A node with the defaults: a worker per core, {@code application.conf} and system properties.
     *
     * @return the node's fleet; closing it stops the node
     * @throws io.pyfleet.client.PoolFailedException when the workers cannot start, saying why (an interpreter
     *                                               that lacks msgpack, say)
     */
    public static Fleet start() {
        return builder().start();
    }

    /**
     * A node with this configuration (HOCON, the {@code pyfleet} section of {@code conf/application.conf}).
     *
     * @param config the configuration, e.g. {@code ConfigFactory.load()} with overrides
     * @return the node's fleet; closing it stops the node
     * @throws io.pyfleet.client.PoolFailedException when the workers cannot start, saying why (an interpreter
     *                                               that lacks msgpack, say)
     */
    public static Fleet start(Config config) {
        return builder().config(config).start();
    }

    /**
     * A builder for a node with the defaults until told otherwise.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of an embedded node; each names the {@code application.conf} key it sets. */
    public static final class Builder {
        private Config base;
        private final Map<String, Object> settings = new LinkedHashMap<>();
        private final List<String> pythonPath = new ArrayList<>();
        private final Map<String, String> environment = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * The Python interpreter of the workers ({@code pyfleet.worker.interpreter}): a path such as a
         * virtual environment's {@code bin/python}, or a name on the PATH. It needs the {@code msgpack}
         * package, and NumPy for arrays; a start without them fails naming what is missing. Default:
         * the {@code PYFLEET_PYTHON} environment variable, else {@code python3}.
         *
         * @param interpreter the interpreter
         * @return this builder
         * @throws IllegalArgumentException when it is blank
         */
        public Builder python(String interpreter) {
            return setting("pyfleet.worker.interpreter", requireText(interpreter, "interpreter"));
        }

        /**
         * {@link #python(String)} as a path.
         *
         * @param interpreter the interpreter's path
         * @return this builder
         */
        public Builder python(Path interpreter) {
            return python(interpreter.toString());
        }

        /**
         * Directories put on the workers' {@code sys.path} ({@code pyfleet.worker.python-path}), in order:
         * where the project's own Python modules live. Relative paths are taken from the working directory
         * of this JVM.
         *
         * @param directories the directories, e.g. {@code Path.of("src/main/python")}
         * @return this builder
         */
        public Builder pythonPath(Path... directories) {
            for (Path d : directories) {
                pythonPath.add(d.toAbsolutePath().normalize().toString());
            }
            return this;
        }

        /**
         * {@link #pythonPath(Path...)} given as strings.
         *
         * @param directories the directories
         * @return this builder
         * @throws IllegalArgumentException when one is blank
         */
        public Builder pythonPath(String... directories) {
            for (String d : directories) {
                pythonPath(Path.of(requireText(d, "python path entry")));
            }
            return this;
        }

        /**
         * How many workers the default pool runs ({@code pyfleet.pool.size}); default one per core.
         *
         * @param count at least 1
         * @return this builder
         * @throws IllegalArgumentException when it is below 1
         */
        public Builder workers(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("a pool needs at least one worker, not " + count);
            }
            return setting("pyfleet.pool.size", count);
        }

        /**
         * An environment variable of the workers ({@code pyfleet.worker.environment}).
         *
         * @param variable its name
         * @param value    its value
         * @return this builder
         * @throws IllegalArgumentException when the name is blank
         */
        public Builder environment(String variable, String value) {
            environment.put(requireText(variable, "variable"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * How long a call may run unless it says otherwise ({@code pyfleet.pool.call-timeout}).
         *
         * @param timeout a positive duration
         * @return this builder
         * @throws IllegalArgumentException when it is not positive
         */
        public Builder callTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("the call timeout must be positive, not " + timeout);
            }
            return setting("pyfleet.pool.call-timeout", timeout.toMillis() + "ms");
        }

        /**
         * The node's name ({@code pyfleet.node-name}), which its handles and log lines carry.
         *
         * @param name the name
         * @return this builder
         * @throws IllegalArgumentException when it is blank
         */
        public Builder nodeName(String name) {
            return setting("pyfleet.node-name", requireText(name, "node name"));
        }

        /**
         * Any other key of {@code conf/application.conf}, e.g. {@code setting("pyfleet.worker.memory-limit",
         * "2GiB")}. Sizes and durations take HOCON's forms ({@code "2GiB"}, {@code "30s"}).
         *
         * @param key   the key, starting with {@code pyfleet.}
         * @param value its value: a string, number, boolean or list
         * @return this builder
         * @throws IllegalArgumentException when the key is not a pyfleet setting
         */
        public Builder setting(String key, Object value) {
            if (!requireText(key, "key").startsWith("pyfleet.")) {
                throw new IllegalArgumentException("'" + key + "' is not a pyfleet setting (they start with 'pyfleet.')");
            }
            settings.put(key, Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * The configuration the settings above override; default {@link ConfigFactory#load()}
         * ({@code application.conf} on the class path, under system properties).
         *
         * @param config the configuration
         * @return this builder
         */
        public Builder config(Config config) {
            this.base = Objects.requireNonNull(config, "config");
            return this;
        }

        /** The configuration the node starts with. */
        Config toConfig() {
            Map<String, Object> over = new LinkedHashMap<>(settings);
            if (!pythonPath.isEmpty()) {
                over.put("pyfleet.worker.python-path", List.copyOf(pythonPath));
            }
            Config c = ConfigFactory.parseMap(over);
            for (Map.Entry<String, String> e : environment.entrySet()) {
                c = c.withValue("pyfleet.worker.environment.\"" + e.getKey() + "\"",
                        ConfigValueFactory.fromAnyRef(e.getValue()));
            }
            return c.withFallback(base == null ? ConfigFactory.load() : base).resolve();
        }

        /**
         * Starts the node and returns once every worker serves.
         *
         * @return the node's fleet; closing it stops the node
         * @throws io.pyfleet.client.PoolFailedException when the workers cannot start, saying why (an interpreter
         *                                               that lacks msgpack, say)
         * @throws com.typesafe.config.ConfigException when a setting has the wrong type, naming it
         */
        public Fleet start() {
            return EmbeddedNode.start(toConfig());
        }

        private static String requireText(String s, String what) {
            if (s == null || s.isBlank()) {
                throw new IllegalArgumentException("the " + what + " must not be blank");
            }
            return s;
        }
    }
}
