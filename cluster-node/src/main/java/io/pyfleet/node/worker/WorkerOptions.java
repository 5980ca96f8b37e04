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
 * @param memoryLimit    RLIMIT_AS in bytes for the worker, 0 for none
 * @param node           node name, carried in handles
 * @param workerId       worker id, carried in handles and log lines
 * @param generation     how many times this worker slot was (re)started
 */
public record WorkerOptions(String interpreter, List<Path> pythonPath, Map<String, String> environment,
        Path workingDirectory, Duration startTimeout, Duration stopTimeout, int maxFrame, long memoryLimit,
        String node, String workerId, long generation) {

    public WorkerOptions {
        Objects.requireNonNull(interpreter, "interpreter");
        pythonPath = List.copyOf(pythonPath);
        environment = Map.copyOf(environment);
        Objects.requireNonNull(startTimeout, "startTimeout");
        Objects.requireNonNull(stopTimeout, "stopTimeout");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(workerId, "workerId");
        if (maxFrame < 1024) {
            throw new IllegalArgumentException("maxFrame must be at least 1024 bytes, not " + maxFrame);
        }
    }

    /** Defaults for tests and tools: the given interpreter, 64 MiB frames, no limits. */
    public static WorkerOptions of(String interpreter, String workerId) {
        return new WorkerOptions(interpreter, List.of(), Map.of(), null, Duration.ofSeconds(30),
                Duration.ofSeconds(2), 64 << 20, 0, "local", workerId, 0);
    }

    public WorkerOptions withPythonPath(List<Path> paths) {
        return new WorkerOptions(interpreter, paths, environment, workingDirectory, startTimeout,
                stopTimeout, maxFrame, memoryLimit, node, workerId, generation);
    }
}
