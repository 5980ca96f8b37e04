package io.pyfleet.node.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.pyfleet.node.worker.WorkerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code pyfleet} configuration section as an immutable record. Every key is
 * documented in conf/application.conf.
 *
 * @param handleNode the node name its handles carry: {@code nodeName} and a random suffix drawn
 *                   when the settings are read, so that a handle from another node of the same
 *                   name, or from an earlier run of this one, is never taken for one of its own
 */
public record PyfleetSettings(String nodeName, String handleNode, Worker worker, Pool pool, Supervision supervision,
        Scatter scatter) {

    /**
     * How worker processes are started.
     *
     * @param memoryLimit        bytes per worker process (RLIMIT_DATA, thread stacks on top), 0 for none;
     *                           {@code auto} in the config is resolved here ({@link #autoMemoryLimit()})
     * @param processLimit       processes and threads of one worker's tree, 0 for none
     * @param oomScoreAdj        the workers' oom_score_adj, 0 to keep the node's
     * @param inheritEnvironment the node's environment variables a worker inherits (names, or prefixes
     *                           ending in {@code *})
     */
    public record Worker(String interpreter, List<Path> pythonPath, Map<String, String> environment,
            Path workingDirectory, Duration startTimeout, Duration stopTimeout, int maxFrameSize, long memoryLimit,
            int processLimit, int oomScoreAdj, List<String> inheritEnvironment) {
        public Worker {
            pythonPath = List.copyOf(pythonPath);
            environment = Map.copyOf(environment);
            inheritEnvironment = List.copyOf(inheritEnvironment);
        }

        /**
         * {@code memory-limit = auto}: half the memory the node sees (physical memory, or its
         * container's limit, which the JVM reports instead when lower), at least 1 GiB. One runaway
         * worker then cannot take more than half the machine: the JVM (whose default heap is a quarter
         * of it) and the other workers keep the rest, and when several grow at once the raised
         * oom_score_adj makes the kernel pick a worker, not the node.
         */
        public static long autoMemoryLimit() {
            long total = 0;
            if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean os) {
                total = os.getTotalMemorySize();
            }
            return total <= 0 ? 4L << 30 : Math.max(1L << 30, total / 2);
        }
    }

    /** The pool of workers and its node queue. */
    public record Pool(int size, Strategy strategy, int pipelineDepth, int queueBound, Duration callTimeout) {
    }

    /** Restart back-off and intensity. */
    public record Supervision(Duration minBackoff, Duration maxBackoff, double randomFactor, int maxRestarts,
            Duration within, Duration coolDown) {
    }

    /** Scatter/gather jobs. */
    public record Scatter(Duration jobTimeout) {
    }

    /** How the router picks a worker for a call that has no handle in it. */
    public enum Strategy {
        LEAST_IN_FLIGHT, ROUND_ROBIN, RANDOM;

        static Strategy parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new ConfigException.BadValue("pyfleet.pool.strategy",
                        "'" + text + "' is not one of least-in-flight, round-robin, random");
            }
        }
    }

    /** The defaults: application.conf on the classpath, system properties over it. */
    public static PyfleetSettings load() {
        return from(ConfigFactory.load());
    }

    public static PyfleetSettings from(Config root) {
        Config c = root.getConfig("pyfleet");
        Config w = c.getConfig("worker");
        Map<String, String> env = new LinkedHashMap<>();
        w.getConfig("environment").entrySet().forEach(e -> env.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
        String dir = w.getString("working-directory");
        long maxFrame = w.getBytes("max-frame-size");
        if (maxFrame < 1024 || maxFrame > Integer.MAX_VALUE - 16) {
            throw new ConfigException.BadValue("pyfleet.worker.max-frame-size", "must be between 1 KiB and 2 GiB");
        }
        long memoryLimit = "auto".equals(w.getValue("memory-limit").unwrapped())
                ? Worker.autoMemoryLimit() : w.getBytes("memory-limit");
        if (memoryLimit < 0) {
            throw new ConfigException.BadValue("pyfleet.worker.memory-limit", "must be auto, 0 (none) or a size");
        }
        int processLimit = w.getInt("process-limit");
        if (processLimit < 0) {
            throw new ConfigException.BadValue("pyfleet.worker.process-limit", "must be 0 (none) or more");
        }
        int oomScoreAdj = w.getInt("oom-score-adj");
        if (oomScoreAdj < -1000 || oomScoreAdj > 1000) {
            throw new ConfigException.BadValue("pyfleet.worker.oom-score-adj", "must be between -1000 and 1000");
        }
        Worker worker = new Worker(w.getString("interpreter"),
                w.getStringList("python-path").stream().map(Path::of).toList(), Map.copyOf(env),
                dir.isEmpty() ? null : Path.of(dir), w.getDuration("start-timeout"), w.getDuration("stop-timeout"),
                (int) maxFrame, memoryLimit, processLimit, oomScoreAdj, w.getStringList("inherit-environment"));
        Config p = c.getConfig("pool");
        int size = p.getInt("size");
        if (size < 0) {
            throw new ConfigException.BadValue("pyfleet.pool.size", "must be 0 (one per core) or more");
        }
        Pool pool = new Pool(size == 0 ? Runtime.getRuntime().availableProcessors() : size,
                Strategy.parse(p.getString("strategy")), positive(p, "pipeline-depth"), positive(p, "queue-bound"),
                p.getDuration("call-timeout"));
        Config s = c.getConfig("supervision");
        Supervision supervision = new Supervision(s.getDuration("min-backoff"), s.getDuration("max-backoff"),
                s.getDouble("random-factor"), s.getInt("max-restarts"), s.getDuration("within"),
                s.getDuration("cool-down"));
        String name = c.getString("node-name");
        String suffix = Long.toHexString(new java.security.SecureRandom().nextLong() >>> 40);
        return new PyfleetSettings(name, name + "~" + suffix, worker, pool, supervision,
                new Scatter(c.getConfig("scatter").getDuration("job-timeout")));
    }

    private static int positive(Config c, String key) {
        int value = c.getInt(key);
        if (value < 1) {
            throw new ConfigException.BadValue(key, "must be at least 1");
        }
        return value;
    }

    /** Start options of one worker slot. */
    public WorkerOptions workerOptions(String workerId, long generation) {
        return new WorkerOptions(worker.interpreter(), worker.pythonPath(), worker.environment(),
                worker.workingDirectory(), worker.startTimeout(), worker.stopTimeout(), worker.maxFrameSize(),
                worker.memoryLimit(), handleNode, workerId, generation, worker.processLimit(), worker.oomScoreAdj(),
                worker.inheritEnvironment());
    }
}
