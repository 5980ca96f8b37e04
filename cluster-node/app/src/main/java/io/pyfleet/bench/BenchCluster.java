package io.pyfleet.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Cluster nodes for the cluster cases, each in a JVM of its own as {@code ./pyfleet node --seed ...}
 * runs it, on loopback ports, all holding the run's token; the first started is the seed.
 */
final class BenchCluster implements AutoCloseable {
    /** A node: its process, its gateway {@code HOST:PORT}, its stdout lines as they come. */
    record Member(String name, Process process, String gateway, BlockingQueue<String> lines) {
        /** Waits for the line {@code cluster members up: n}. */
        void awaitUp(int n, Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (("cluster members up: " + n).equals(line)) {
                    return;
                }
                if (!process.isAlive()) {
                    throw new BenchFailure("cluster node " + name + " exited before " + n + " members were up");
                }
            }
            throw new BenchFailure("cluster node " + name + " did not see " + n + " members up within " + limit);
        }
    }

    private final String token;
    private final String interpreter;
    private final List<Member> members = new ArrayList<>();
    private int seedPort;

    BenchCluster(String token, String interpreter) {
        this.token = token;
        this.interpreter = interpreter;
    }

    /** Starts a node of {@code workers} workers; returns once its gateway serves (joining goes on). */
    Member start(String name, int workers) {
        int clusterPort = freePort();
        if (seedPort == 0) {
            seedPort = clusterPort;
        }
        List<String> command = io.pyfleet.cli.ChildJvm.java();
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        for (String property : List.of("logback.configurationFile", "pyfleet.home")) {
            if (System.getProperty(property) != null) {
                command.add("-D" + property + "=" + System.getProperty(property));
            }
        }
        command.add("-Dpyfleet.worker.interpreter=" + interpreter);
        command.add("-Dpyfleet.gateway.max-in-flight=4096");
        command.addAll(List.of(io.pyfleet.cli.PyfleetCli.class.getName(), "node", "--name", name, "--bind", "127.0.0.1",
                "--port", "0", "--workers", Integer.toString(workers), "--cluster-port", Integer.toString(clusterPort),
                "--seed", "127.0.0.1:" + seedPort));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("PYFLEET_TOKEN", token);
        try {
            Process p = builder.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            if (first == null || !first.contains(" listening on ")) {
                p.destroyForcibly();
                throw new BenchFailure("cluster node " + name + " did not start (its first line: " + first + ")");
            }
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try {
                    for (String l = out.readLine(); l != null; l = out.readLine()) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    // the node is gone
                }
            }, "bench-node-" + name);
            reader.setDaemon(true);
            reader.start();
            Member m = new Member(name, p, first.substring(first.lastIndexOf(' ') + 1).trim(), lines);
            members.add(m);
            return m;
        } catch (IOException e) {
            throw new BenchFailure("cannot start cluster node " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        for (Member m : members) {
            m.process().destroy();
        }
        for (Member m : members) {
            try {
                if (!m.process().waitFor(30, TimeUnit.SECONDS)) {
                    m.process().destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                m.process().destroyForcibly();
            }
        }
        members.clear();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new BenchFailure("no free port: " + e.getMessage(), e);
        }
    }
}
