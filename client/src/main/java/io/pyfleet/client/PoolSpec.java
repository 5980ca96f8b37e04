package io.pyfleet.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a named Python pool runs: its own workers with their own interpreter (a virtual
 * environment's {@code bin/python}, say), extra {@code sys.path} entries and environment
 * variables, next to the node's default pool. Immutable; made with {@link #builder(String, String)}:
 *
 * <pre>{@code
 * fleet.startPool(PoolSpec.builder("sci", "/opt/sci-venv/bin/python").workers(2)
 *         .pythonPath("/srv/models").environment("OMP_NUM_THREADS", "1").requires("scipy").build());
 * }</pre>
 */
public final class PoolSpec {
    private final String name;
    private final String node;
    private final int workers;
    private final String python;
    private final List<String> pythonPath;
    private final Map<String, String> environment;
    private final List<String> requires;

    /** The name under which the node's default pool is listed and may be named by calls. */
    public static final String DEFAULT_POOL = "default";
    /** The most workers one pool may be set to. */
    public static final int MAX_WORKERS = 10_000;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern MODULE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

    private PoolSpec(String name, String node, int workers, String python, List<String> pythonPath,
            Map<String, String> environment, List<String> requires) {
        requireName(name);
        if (DEFAULT_POOL.equals(name)) {
            throw new IllegalArgumentException("'" + DEFAULT_POOL + "' is the node's default pool; name yours otherwise");
        }
        if (node != null && node.isBlank()) {
            throw new IllegalArgumentException("a node name must not be blank");
        }
        requireWorkers(workers);
        if (python == null || python.isBlank()) {
            throw new IllegalArgumentException("a pool needs an interpreter (python)");
        }
        pythonPath = List.copyOf(pythonPath);
        environment = Map.copyOf(environment);
        requires = List.copyOf(requires);
        for (String module : requires) {
            if (!MODULE.matcher(module).matches()) {
                throw new IllegalArgumentException("'" + module + "' is not a module name");
            }
        }
        this.name = name;
        this.node = node;
        this.workers = workers;
        this.python = python;
        this.pythonPath = pythonPath;
        this.environment = environment;
        this.requires = requires;
    }

    /**
     * Checks a pool name: 1 to 64 letters, digits, {@code _ . -}, starting with a letter or digit.
     *
     * @param name the name
     * @return the name
     * @throws IllegalArgumentException when it is not of that form
     */
    public static String requireName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a pool name is 1 to 64 letters, digits, '_', '.' or '-' "
                    + "(starting with a letter or digit), not " + (name == null ? "null" : "'" + name + "'"));
        }
        return name;
    }

    /**
     * Checks a pool size: 1 to {@value #MAX_WORKERS}.
     *
     * @param workers the size
     * @return the size
     * @throws IllegalArgumentException when it is out of that range
     */
    public static int requireWorkers(int workers) {
        if (workers < 1 || workers > MAX_WORKERS) {
            throw new IllegalArgumentException("a pool runs 1 to " + MAX_WORKERS + " workers, not " + workers);
        }
        return workers;
    }

    /**
     * A builder for a pool of this name running this interpreter.
     *
     * @param name   the pool's name (see {@link #requireName(String)}), not {@value #DEFAULT_POOL}
     * @param python its interpreter: a path such as a virtual environment's {@code bin/python}, or a name on
     *               the node's PATH
     * @return a new builder
     */
    public static Builder builder(String name, String python) {
        return new Builder(name, python);
    }

    /** Builds a {@link PoolSpec}: one worker, no extra path, environment or required modules by default. */
    public static final class Builder {
        private final String name;
        private final String python;
        private String node;
        private int workers = 1;
        private final List<String> pythonPath = new ArrayList<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final List<String> requires = new ArrayList<>();

        private Builder(String name, String python) {
            this.name = name;
            this.python = python;
        }

        /**
         * Starts the pool on the named node of the cluster.
         *
         * @param nodeName the node's name; null: the node the fleet talks to
         * @return this builder
         */
        public Builder node(String nodeName) {
            this.node = nodeName;
            return this;
        }

        /**
         * How many workers, 1 to {@value PoolSpec#MAX_WORKERS} (default 1).
         *
         * @param count the pool's size
         * @return this builder
         */
        public Builder workers(int count) {
            this.workers = count;
            return this;
        }

        /**
         * Extra directories for the workers' {@code sys.path}, added in order.
         *
         * @param directories directories on the node's machine
         * @return this builder
         */
        public Builder pythonPath(String... directories) {
            for (String d : directories) {
                pythonPath.add(Objects.requireNonNull(d, "pythonPath entry"));
            }
            return this;
        }

        /**
         * An extra environment variable of the workers.
         *
         * @param variable its name
         * @param value    its value
         * @return this builder
         */
        public Builder environment(String variable, String value) {
            environment.put(Objects.requireNonNull(variable, "variable"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Modules every worker must import at start; the pool does not start without them.
         *
         * @param modules dotted module names
         * @return this builder
         */
        public Builder requires(String... modules) {
            for (String m : modules) {
                requires.add(Objects.requireNonNull(m, "module"));
            }
            return this;
        }

        /**
         * Extra directories for the workers' {@code sys.path}, added in order.
         *
         * @param directories directories on the node's machine
         * @return this builder
         */
        public Builder pythonPath(List<String> directories) {
            return pythonPath(directories.toArray(String[]::new));
        }

        /**
         * Extra environment variables of the workers.
         *
         * @param variables values by name
         * @return this builder
         */
        public Builder environment(Map<String, String> variables) {
            variables.forEach(this::environment);
            return this;
        }

        /**
         * Modules every worker must import at start; the pool does not start without them.
         *
         * @param modules dotted module names
         * @return this builder
         */
        public Builder requires(List<String> modules) {
            return requires(modules.toArray(String[]::new));
        }

        /**
         * The spec.
         *
         * @return the spec
         * @throws IllegalArgumentException for a bad name, worker count, interpreter or module name
         */
        public PoolSpec build() {
            return new PoolSpec(name, node, workers, python, pythonPath, environment, requires);
        }
    }

    /**
     * The pool's name.
     *
     * @return letters, digits, {@code _ . -}, at most 64; never {@value #DEFAULT_POOL}
     */
    public String name() {
        return name;
    }

    /**
     * The node that must run it.
     *
     * @return the node's name; null: the node the fleet talks to
     */
    public String node() {
        return node;
    }

    /**
     * How many workers it runs.
     *
     * @return at least 1
     */
    public int workers() {
        return workers;
    }

    /**
     * Its interpreter.
     *
     * @return a path, or a name looked up on the node's PATH
     */
    public String python() {
        return python;
    }

    /**
     * Extra directories for its workers' {@code sys.path}.
     *
     * @return them in order; unmodifiable
     */
    public List<String> pythonPath() {
        return pythonPath;
    }

    /**
     * Extra environment variables of its workers.
     *
     * @return values by name; unmodifiable
     */
    public Map<String, String> environment() {
        return environment;
    }

    /**
     * Modules that must import in every worker at start, or the pool does not start.
     *
     * @return dotted module names; unmodifiable
     */
    public List<String> requires() {
        return requires;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PoolSpec o
                && Objects.equals(name, o.name)
                && Objects.equals(node, o.node)
                && workers == o.workers
                && Objects.equals(python, o.python)
                && Objects.equals(pythonPath, o.pythonPath)
                && Objects.equals(environment, o.environment)
                && Objects.equals(requires, o.requires);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, node, workers, python, pythonPath, environment, requires);
    }

    @Override
    public String toString() {
        return "PoolSpec[name=" + name + (node == null ? "" : ", node=" + node) + ", workers=" + workers + ", python="
                + python + ", pythonPath=" + pythonPath + ", environment=" + environment.keySet() + ", requires="
                + requires + "]";
    }
}
