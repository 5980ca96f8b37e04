package io.pyfleet.node.worker;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** How a worker process is launched: its command line, environment and working directory. */
final class WorkerLauncher {
    private WorkerLauncher() {
    }

    static ProcessBuilder builder(WorkerOptions options) {
        ProcessBuilder builder = new ProcessBuilder(options.interpreter(), "-m", "pyfleet.worker");
        Map<String, String> env = builder.environment();
        List<String> path = new ArrayList<>();
        path.add(WorkerPackage.directory().toString());
        options.pythonPath().forEach(p -> path.add(p.toAbsolutePath().toString()));
        String inherited = env.get("PYTHONPATH");
        if (inherited != null && !inherited.isEmpty()) {
            path.add(inherited);
        }
        env.put("PYTHONPATH", String.join(File.pathSeparator, path));
        env.putAll(options.environment());
        env.put("PYFLEET_NODE", options.node());
        env.put("PYFLEET_WORKER_ID", options.workerId());
        env.put("PYFLEET_GENERATION", Long.toString(options.generation()));
        env.put("PYFLEET_MAX_FRAME", Integer.toString(options.maxFrame()));
        env.put("PYFLEET_MEMORY_LIMIT", Long.toString(options.memoryLimit()));
        if (options.workingDirectory() != null) {
            builder.directory(options.workingDirectory().toFile());
        }
        return builder;
    }
}
