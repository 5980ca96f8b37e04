package io.pyfleet.bench;

import com.typesafe.config.Config;
import io.pyfleet.client.Fleet;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.embedded.EmbeddedFleet;
import io.pyfleet.node.gateway.NodeServer;
import io.pyfleet.node.worker.WorkerProcess;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * What the cases measure, started on first use and shared by every case of the run: the echo loop, one
 * bare {@link WorkerProcess}, and one node: its pool is the embedded fleet, and its gateway (on a free
 * loopback port, with a token of the run) serves the TCP cases, so embedded and remote calls reach the
 * same workers. {@link #close()} stops every process started.
 */
public final class BenchContext implements AutoCloseable {
    private final Config config;
    private final PyfleetSettings settings;
    private final Consumer<String> progress;
    private EchoProcess echo;
    private WorkerProcess worker;
    private java.util.List<WorkerProcess> workers;
    private NodeServer node;
    private final java.util.List<Fleet> remotes = new java.util.ArrayList<>();
    private RuntimeException fleetFailure;
    private final String token = Long.toHexString(new java.security.SecureRandom().nextLong())
            + Long.toHexString(new java.security.SecureRandom().nextLong());

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
        return node().fleet();
    }

    /** The node (pool and gateway); it returns once every worker serves. */
    NodeServer node() {
        if (fleetFailure != null) {
            throw new BenchFailure("the node did not start: " + fleetFailure.getMessage(), fleetFailure);
        }
        if (node == null) {
            progress.accept("bench: starting a node with " + settings.pool().size() + " workers");
            try {
                Config withGateway = com.typesafe.config.ConfigFactory.parseMap(java.util.Map.of(
                        "pyfleet.gateway.port", 0, "pyfleet.gateway.token", token,
                        "pyfleet.gateway.bind", "127.0.0.1", "pyfleet.gateway.max-in-flight", 4096))
                        .withFallback(config);
                node = NodeServer.start(withGateway, GatewaySettings.from(withGateway));
            } catch (RuntimeException e) {
                fleetFailure = e; // the next cases fail at once instead of starting it again
                throw e;
            }
        }
        return node;
    }

    /** {@code count} client connections to the node's gateway, opened on first use. */
    java.util.List<Fleet> remotes(int count) {
        NodeServer n = node();
        while (remotes.size() < count) {
            remotes.add(Fleet.connect(token, "127.0.0.1:" + n.address().getPort()));
        }
        return remotes.subList(0, count);
    }

    void progress(String line) {
        progress.accept(line);
    }

    @Override
    public void close() {
        remotes.forEach(Fleet::close);
        remotes.clear();
        if (node != null) {
            node.stop();
            node = null;
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
