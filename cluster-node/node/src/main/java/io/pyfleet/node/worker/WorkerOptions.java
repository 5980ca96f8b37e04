package io.pyfleet.node.worker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to start one worker process.
 *
 * @param interpreter    the Python executable (a path or a name looked up on PATH)
 * @param pythonPath     extra directories for the worker's {@code sys.path}
 * @param environment    extra environment variables
 * @param workingDirectory the worker's working directory, or null for the node's own
 * @param startTimeout   how long to wait for the worker's hello
 * @param stopTimeout    how long a closing worker gets before it is killed
 * @param maxFrame       largest frame either side sends or accepts
 * @param memoryLimit    RLIMIT_DATA in bytes for the worker (thread stacks on top), 0 for none
 * @param node           node name, carried in handles
 * @param workerId       worker id, carried in handles and log lines
 * @param generation     how many times this worker slot was (re)started
 * @param processLimit   tasks (processes and threads) of the worker's tree, 0 for none
 * @param oomScoreAdj    the worker's /proc/self/oom_score_adj, 0 to keep the inherited one
 * @param inheritEnvironment names of the node's environment variables a worker inherits;
 *                       a name ending in {@code *} is a prefix ({@code LC_*})
 */
public record WorkerOptions(String interpreter, List<Path> pythonPath, Map<String, String> environment,
        Path workingDirectory, Duration startTimeout, Duration stopTimeout, int maxFrame, long memoryLimit,
        String node, String workerId, long generation, int processLimit, int oomScoreAdj,
        List<String> inheritEnvironment) {

    /**
     * What a worker inherits from the node's environment unless configured otherwise
     * ({@code pyfleet.worker.inherit-environment} in application.conf says why each).
     */
    public static final List<String> DEFAULT_INHERITED_ENVIRONMENT = List.of(
            "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR", "TEMP", "TMP",
            "LD_LIBRARY_PATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "VIRTUAL_ENV", "CONDA_PREFIX",
            "OMP_*", "OPENBLAS_*", "MKL_*", "NUMEXPR_*", "VECLIB_MAXIMUM_THREADS", "CUDA_VISIBLE_DEVICES");

    public WorkerOptions {
        Objects.requireNonNull(interpreter, "interpreter");
        pythonPath = List.copyOf(pythonPath);
        environment = Map.copyOf(environment);
        inheritEnvironment = List.copyOf(inheritEnvironment);
        Objects.requireNonNull(startTimeout, "startTimeout");
        Objects.requireNonNull(stopTimeout, "stopTimeout");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(workerId, "workerId");
        if (maxFrame < 1024) {
            throw new IllegalArgumentException("maxFrame must be at least 1024 bytes, not " + maxFrame);
        }
        if (memoryLimit < 0 || processLimit < 0) {
            throw new IllegalArgumentException("limits must be 0 (none) or positive");
        }
        if (oomScoreAdj < -1000 || oomScoreAdj > 1000) {
            throw new IllegalArgumentException("oomScoreAdj must be between -1000 and 1000, not " + oomScoreAdj);
        }
    }

    /** Without the isolation settings: no process limit, inherited OOM score, the default allow-list. */
    public WorkerOptions(String interpreter, List<Path> pythonPath, Map<String, String> environment,
            Path workingDirectory, Duration startTimeout, Duration stopTimeout, int maxFrame, long memoryLimit,
            String node, String workerId, long generation) {
        this(interpreter, pythonPath, environment, workingDirectory, startTimeout, stopTimeout, maxFrame,
                memoryLimit, node, workerId, generation, 0, 0, DEFAULT_INHERITED_ENVIRONMENT);
    }

    /** Defaults for tests and tools: the given interpreter, 64 MiB frames, no limits. */
    public static WorkerOptions of(String interpreter, String workerId) {
        return new WorkerOptions(interpreter, List.of(), Map.of(), null, Duration.ofSeconds(30),
                Duration.ofSeconds(2), 64 << 20, 0, "local", workerId, 0);
    }

    public WorkerOptions withPythonPath(List<Path> paths) {
        return new WorkerOptions(interpreter, paths, environment, workingDirectory, startTimeout,
                stopTimeout, maxFrame, memoryLimit, node, workerId, generation, processLimit, oomScoreAdj,
                inheritEnvironment);
    }

    /** The same options with these limits (0 for none / the inherited OOM score). */
    public WorkerOptions withLimits(long memoryLimit, int processLimit, int oomScoreAdj) {
        return new WorkerOptions(interpreter, pythonPath, environment, workingDirectory, startTimeout,
                stopTimeout, maxFrame, memoryLimit, node, workerId, generation, processLimit, oomScoreAdj,
                inheritEnvironment);
    }

    /** The same options with this working directory (null for the node's own). */
    public WorkerOptions withWorkingDirectory(Path directory) {
        return new WorkerOptions(interpreter, pythonPath, environment, directory, startTimeout,
                stopTimeout, maxFrame, memoryLimit, node, workerId, generation, processLimit, oomScoreAdj,
                inheritEnvironment);
    }

    /** The same options with these extra environment variables. */
    public WorkerOptions withEnvironment(Map<String, String> variables) {
        return new WorkerOptions(interpreter, pythonPath, variables, workingDirectory, startTimeout,
                stopTimeout, maxFrame, memoryLimit, node, workerId, generation, processLimit, oomScoreAdj,
                inheritEnvironment);
    }
}
