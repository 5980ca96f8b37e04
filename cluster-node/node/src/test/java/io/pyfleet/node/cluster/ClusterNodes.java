package io.pyfleet.node.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Cluster nodes in JVMs of their own on loopback ports ({@link ClusterNodeMain}), for tests. */
final class ClusterNodes implements AutoCloseable {
    static final String TOKEN = "cluster-test-token-0123456789abcdef";

    /** One node: its process, gateway port, Artery port and workers; its stdout lines as they come. */
    record Node(String name, Process process, int port, int clusterPort, long[] workers, BlockingQueue<String> lines) {
        String address() {
            return "127.0.0.1:" + port;
        }

        /** Waits for the line "cluster members up: N". */
        void awaitUp(int n, Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            String want = "cluster members up: " + n;
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (want.equals(line)) {
                    return;
                }
                if (!process.isAlive()) {
                    throw new AssertionError("node " + name + " exited (" + process.exitValue() + ") before " + want);
                }
            }
            throw new AssertionError("node " + name + " did not see " + n + " members up within " + limit);
        }

        void kill() {
            process.destroyForcibly();
        }
    }

    private final List<Node> nodes = new ArrayList<>();
    private final List<String> settings = new ArrayList<>();
    private int seedPort;

    /** Settings every node started after this call gets, as {@code key=value} (system properties of its JVM). */
    ClusterNodes with(String key, String value) {
        settings.add("-D" + key + "=" + value);
        return this;
    }

    /** Starts a node; the first one started is the seed of the others. */
    Node start(String name, int workers) throws IOException {
        return start(name, workers, TOKEN);
    }

    Node start(String name, int workers, String token) throws IOException {
        int clusterPort = freePort();
        if (seedPort == 0) {
            seedPort = clusterPort;
        }
        List<String> jvm = new ArrayList<>(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"));
        jvm.addAll(settings);
        jvm.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "-Dpyfleet.python=" + io.pyfleet.node.TestPython.interpreter(),
                ClusterNodeMain.class.getName(), name, Integer.toString(workers), Integer.toString(clusterPort),
                "127.0.0.1:" + seedPort, token));
        ProcessBuilder pb = new ProcessBuilder(io.pyfleet.node.ChildJvm.java(jvm.toArray(String[]::new)));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        int port = -1;
        long[] workerPids = null;
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("listening ")) {
                port = Integer.parseInt(line.substring(10));
            } else if (line.startsWith("workers ")) {
                workerPids = Arrays.stream(line.substring(8).split(",")).mapToLong(Long::parseLong).toArray();
                break;
            } else {
                lines.add(line);
            }
        }
        if (workerPids == null) {
            p.destroyForcibly();
            throw new IllegalStateException("node " + name + " did not start");
        }
        Thread reader = new Thread(() -> {
            try {
                String l;
                while ((l = out.readLine()) != null) {
                    lines.add(l);
                }
            } catch (IOException e) {
                // the node is gone
            }
        }, "node-" + name + "-stdout");
        reader.setDaemon(true);
        reader.start();
        Node node = new Node(name, p, port, clusterPort, workerPids, lines);
        nodes.add(node);
        return node;
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            n.process().destroy();
        }
        boolean interrupted = false;
        for (Node n : nodes) {
            try {
                if (interrupted || !n.process().waitFor(20, TimeUnit.SECONDS)) {
                    n.process().destroyForcibly();
                }
            } catch (InterruptedException e) {
                interrupted = true; // no more waiting, but every node still goes
                n.process().destroyForcibly();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
