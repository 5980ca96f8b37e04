package io.pyfleet.bench;

import com.typesafe.config.Config;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.embedded.EmbeddedFleet;
import io.pyfleet.node.worker.WorkerProcess;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * What the cases measure, started on first use and shared by every case of the run: the echo loop, one
 * bare {@link WorkerProcess}, and one embedded node. {@link #close()} stops every process started.
 */
public final class BenchContext implements AutoCloseable {
    private final Config config;
    private final PyfleetSettings settings;
    private final Consumer<String> progress;
    private EchoProcess echo;
    private WorkerProcess worker;
    private java.util.List<WorkerProcess> workers;
    private EmbeddedFleet fleet;
    private RuntimeException fleetFailure;

    /**
     * @param config    the node's configuration (the bench's own overrides already in it)
     * @param progress  where progress lines go (stderr)
     */
    public BenchContext(Config config, Consumer<String> progress) {
        this.config = config;
        this.settings = PyfleetSettings.from(config);
        this.progress = progress;
    }

    public PyfleetSettings settings() {
        return settings;
    }

    /** The echo loop ({@code python -m pyfleet.echo}) with the workers' interpreter. */
    EchoProcess echo() throws IOException {
        if (echo == null) {
            echo = EchoProcess.start(settings);
        }
        return echo;
    }

    /** One worker process, outside any pool. */
    WorkerProcess worker() {
        if (worker == null) {
            worker = WorkerProcess.start(settings.workerOptions("bench", 1));
        }
        return worker;
    }

    /** {@code count} worker processes outside any pool (the pool's floor). */
    java.util.List<WorkerProcess> workers(int count) {
        if (workers == null) {
            workers = PoolFloor.start(this, count);
        }
        return workers;
    }

    /** The embedded node; it returns once every worker serves. */
    EmbeddedFleet fleet() {
        if (fleetFailure != null) {
            throw new BenchFailure("the embedded node did not start: " + fleetFailure.getMessage(), fleetFailure);
        }
        if (fleet == null) {
            progress.accept("bench: starting an embedded node with " + settings.pool().size() + " workers");
            try {
                fleet = EmbeddedFleet.start(config);
            } catch (RuntimeException e) {
                fleetFailure = e; // the next cases fail at once instead of starting it again
                throw e;
            }
        }
        return fleet;
    }

    void progress(String line) {
        progress.accept(line);
    }

    @Override
    public void close() {
        if (fleet != null) {
            fleet.close();
            fleet = null;
        }
        if (worker != null) {
            worker.close();
            worker = null;
        }
        if (workers != null) {
            workers.forEach(WorkerProcess::close);
            workers = null;
        }
        if (echo != null) {
            echo.close();
            echo = null;
        }
    }
}
