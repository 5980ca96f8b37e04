package io.pyfleet.bench;

import com.typesafe.config.Config;
import io.pyfleet.client.Fleet;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.embedded.EmbeddedNode;
import io.pyfleet.node.worker.WorkerProcess;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * What the cases measure, started on first use and shared by every case of the run: the echo loop, one
 * bare {@link WorkerProcess}, one embedded node, and for the TCP cases a node in a JVM of its own (as
 * {@code ./pyfleet node} runs it, on a free loopback port with a token of the run) reached by thin
 * clients from this JVM. {@link #close()} stops every process started.
 */
public final class BenchContext implements AutoCloseable {
    private final Config config;
    private final PyfleetSettings settings;
    private final Consumer<String> progress;
    private EchoProcess echo;
    private WorkerProcess worker;
    private java.util.List<WorkerProcess> workers;
    private EmbeddedNode fleet;
    private EmbeddedNode byValueFleet;
    private Process remoteNode;
    private int remotePort;
    private final java.util.List<Fleet> remotes = new java.util.ArrayList<>();
    private final java.util.Map<String, Cluster> clusters = new java.util.LinkedHashMap<>();
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
    EmbeddedNode fleet() {
        if (fleetFailure != null) {
            throw new BenchFailure("the embedded node did not start: " + fleetFailure.getMessage(), fleetFailure);
        }
        if (fleet == null) {
            progress.accept("bench: starting an embedded node with " + settings.pool().size() + " workers");
            try {
                fleet = EmbeddedNode.start(config);
            } catch (RuntimeException e) {
                fleetFailure = e; // the next cases fail at once instead of starting it again
                throw e;
            }
        }
        return fleet;
    }

    /**
     * A one-worker embedded node that sends every array by value through the pipe (arrays up to
     * 1 GiB, frames up to 1.5 GiB): the baseline of the array cases.
     */
    EmbeddedNode byValueFleet() {
        if (byValueFleet == null) {
            progress.accept("bench: starting an embedded node that sends arrays by value");
            byValueFleet = EmbeddedNode.start(com.typesafe.config.ConfigFactory.parseMap(java.util.Map.of(
                    "pyfleet.pool.size", 1, "pyfleet.arrays.by-value-max", "1GiB",
                    "pyfleet.worker.max-frame-size", "1536MiB")).withFallback(config));
        }
        return byValueFleet;
    }

    /**
     * {@code count} thin-client connections to a node in a JVM of its own ({@code pyfleet node}, the same
     * pool size and interpreter, a token of this run), as a remote program would use one.
     */
    java.util.List<Fleet> remotes(int count) {
        int port = remoteNode();
        while (remotes.size() < count) {
            remotes.add(Fleet.connect(token, "127.0.0.1:" + port));
        }
        return remotes.subList(0, count);
    }

    private int remoteNode() {
        if (remoteNode != null) {
            return remotePort;
        }
        progress.accept("bench: starting a node in its own JVM with " + settings.pool().size() + " workers");
        java.util.List<String> command = io.pyfleet.cli.ChildJvm.java();
        command.addAll(java.util.List.of("-cp", System.getProperty("java.class.path")));
        for (String property : java.util.List.of("logback.configurationFile", "pyfleet.home")) {
            if (System.getProperty(property) != null) {
                command.add("-D" + property + "=" + System.getProperty(property));
            }
        }
        command.add("-Dpyfleet.worker.interpreter=" + settings.worker().interpreter());
        command.add("-Dpyfleet.gateway.max-in-flight=4096");
        command.addAll(java.util.List.of(io.pyfleet.cli.PyfleetCli.class.getName(), "node", "--bind", "127.0.0.1",
                "--port", "0", "--workers", Integer.toString(settings.pool().size())));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("PYFLEET_TOKEN", token);
        try {
            remoteNode = builder.start();
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                    remoteNode.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            String line = out.readLine(); // "pyfleet node NAME listening on HOST:PORT", once it serves
            if (line == null || !line.contains(" listening on ")) {
                throw new BenchFailure("the node for the TCP cases did not start (its first line: " + line + ")");
            }
            remotePort = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
            return remotePort;
        } catch (IOException e) {
            throw new BenchFailure("cannot start the node for the TCP cases: " + e.getMessage(), e);
        }
    }

    /**
     * A cluster of {@code nodes} nodes of {@code workers} workers each, started (and joined) on first use
     * under {@code key}, with a thin client connected to its first node; stopped by {@link #close()}.
     */
    Cluster cluster(String key, int nodes, int workers) throws InterruptedException {
        Cluster c = clusters.get(key);
        if (c == null) {
            progress.accept("bench: starting a cluster of " + nodes + " node(s) with " + workers + " worker(s) each");
            BenchCluster started = new BenchCluster(token, settings.worker().interpreter());
            java.util.List<BenchCluster.Member> members = new java.util.ArrayList<>();
            try {
                for (int i = 1; i <= nodes; i++) {
                    members.add(started.start(key + "-" + i, workers));
                }
                for (BenchCluster.Member m : members) {
                    m.awaitUp(nodes, java.time.Duration.ofSeconds(90));
                }
                Fleet client = Fleet.connect(token, members.get(0).gateway());
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (client.nodes().size() < nodes) { // the first node has heard from every other
                    if (System.nanoTime() > deadline) {
                        throw new BenchFailure("node 1 of cluster " + key + " sees only " + client.nodes());
                    }
                    Thread.sleep(50);
                }
                c = new Cluster(started, members, client);
            } catch (RuntimeException | InterruptedException e) {
                started.close();
                throw e;
            }
            clusters.put(key, c);
        }
        return c;
    }

    /** A started cluster: its nodes, and a thin client of its first node. */
    record Cluster(BenchCluster nodes, java.util.List<BenchCluster.Member> members, Fleet client) {
    }

    void progress(String line) {
        progress.accept(line);
    }

    @Override
    public void close() {
        for (Cluster c : clusters.values()) {
            c.client().close();
            c.nodes().close();
        }
        clusters.clear();
        remotes.forEach(Fleet::close);
        remotes.clear();
        if (remoteNode != null) {
            remoteNode.destroy(); // SIGTERM: the node stops its workers and exits
            try {
                if (!remoteNode.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    remoteNode.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            remoteNode = null;
        }
        if (fleet != null) {
            fleet.close();
            fleet = null;
        }
        if (byValueFleet != null) {
            byValueFleet.close();
            byValueFleet = null;
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
