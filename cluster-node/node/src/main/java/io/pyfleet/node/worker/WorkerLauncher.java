package io.pyfleet.node.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a worker process is launched: its command line, environment and working directory.
 *
 * <p>The command is {@code <interpreter> -c BOOTSTRAP <worker package dir> <python-path>...}: the
 * bootstrap first refuses a Python older than {@value InterpreterAdvice#MIN_PYTHON} (exit status 5 and a
 * {@link StartReport} line, in words any Python parses), then puts those directories first on
 * {@code sys.path} in place of the {@code ''} that {@code -c} inserts, so nothing in the node's working
 * directory is ever imported (a planted {@code platform.py} or {@code pyfleet/}); the interpreter's own
 * paths follow. Unlike {@code -I} it keeps the user's {@code PYTHON*} variables working.
 * spec/PROTOCOL.md ("Starting a worker") documents the same program.
 *
 * <p>The environment is built from nothing: the node's variables named in
 * {@link WorkerOptions#inheritEnvironment()}, then the configured ones, then the worker's own
 * {@code PYFLEET_*} settings. A secret in the node's environment stays there.
 */
final class WorkerLauncher {
    /** The {@code -c} program that starts a worker (see the class comment). */
    static final String BOOTSTRAP = "import sys\n"
            + "if sys.version_info < (3, 11): sys.stderr.write('pyfleet-worker: cannot start\\texecutable=%s"
            + "\\tversion=%d.%d.%d\\trequires=3.11\\n' % ((sys.executable,) + tuple(sys.version_info[:3]))); "
            + "sys.exit(5)\n"
            + "sys.path[:1 if sys.path[:1] == [''] else 0] = sys.argv[1:]; del sys.argv[1:]; "
            + "from pyfleet.worker import main; main()";

    private WorkerLauncher() {
    }

    static ProcessBuilder builder(WorkerOptions options) {
        return builder(options, System.getenv());
    }

    /** The builder for a node whose own environment is {@code nodeEnvironment}. */
    static ProcessBuilder builder(WorkerOptions options, Map<String, String> nodeEnvironment) {
        List<String> command = new ArrayList<>();
        command.add(options.interpreter());
        command.add("-c");
        command.add(BOOTSTRAP);
        command.add(WorkerPackage.directory().toString());
        options.pythonPath().forEach(p -> command.add(p.toAbsolutePath().toString()));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.clear();
        nodeEnvironment.forEach((name, value) -> {
            if (inherited(name, options.inheritEnvironment())) {
                env.put(name, value);
            }
        });
        env.putAll(options.environment());
        env.put("PYFLEET_NODE", options.node());
        env.put("PYFLEET_WORKER_ID", options.workerId());
        env.put("PYFLEET_GENERATION", Long.toString(options.generation()));
        env.put("PYFLEET_MAX_FRAME", Integer.toString(options.maxFrame()));
        putIf(env, "PYFLEET_MEMORY_LIMIT", options.memoryLimit());
        putIf(env, "PYFLEET_PROCESS_LIMIT", options.processLimit());
        putIf(env, "PYFLEET_OOM_SCORE_ADJ", options.oomScoreAdj());
        if (options.workingDirectory() != null) {
            builder.directory(options.workingDirectory().toFile());
        }
        return builder;
    }

    /** Whether {@code name} matches one of {@code patterns} (exact, or a prefix ending in {@code *}). */
    static boolean inherited(String name, List<String> patterns) {
        for (String pattern : patterns) {
            if (pattern.endsWith("*") ? name.startsWith(pattern.substring(0, pattern.length() - 1))
                    : name.equals(pattern)) {
                return true;
            }
        }
        return false;
    }

    private static void putIf(Map<String, String> env, String name, long value) {
        if (value != 0) {
            env.put(name, Long.toString(value));
        } else {
            env.remove(name);
        }
    }

    /**
     * Starts a worker and waits for its hello.
     *
     * @param adopt turns each handle in a reply or event into what the caller should see
     *              (the node's releasing {@code PyObject}); null keeps {@link io.pyfleet.client.internal.Handle}s
     * @throws WorkerStartException when the interpreter is missing, lacks msgpack, dies on
     *     start-up or does not say hello within the start timeout
     */
    static WorkerProcess launch(WorkerOptions options,
            java.util.function.Function<io.pyfleet.client.internal.Handle, Object> adopt) {
        Process process;
        try {
            process = builder(options).start();
        } catch (java.io.IOException e) {
            throw new WorkerStartException(InterpreterAdvice.notStarted(options.interpreter(), e), e);
        }
        WorkerProcess worker = new WorkerProcess(options, process, adopt);
        worker.startReading();
        worker.awaitHello();
        Watchdog.shared().watch(worker);
        if (!worker.isAlive()) {
            Watchdog.shared().forget(worker); // it died before it was watched: its reader forgot it first
        }
        return worker;
    }

    /**
     * Why a worker died before its hello: an interpreter too old or without msgpack (from its
     * {@link StartReport}), or how it exited, with its last words.
     */
    static WorkerStartException startFailure(WorkerOptions options, ExitStatus status, StderrTail stderr) {
        java.util.Optional<StartReport> report = status.code() == ExitStatus.MISSING_PACKAGE
                || status.code() == ExitStatus.PYTHON_TOO_OLD ? StartReport.find(stderr.lines())
                : java.util.Optional.empty();
        if (report.isPresent() && report.get().requires() != null) {
            return new WorkerStartException(InterpreterAdvice.tooOld(options.interpreter(), report.get()));
        }
        if (report.isPresent() && !report.get().missing().isEmpty()) {
            return new WorkerStartException(InterpreterAdvice.missing(options.interpreter(), report.get()));
        }
        return new WorkerStartException("worker " + options.workerId() + " (" + options.interpreter()
                + ") exited before it started: " + status.describe() + stderr.summary());
    }
}
