package io.pyfleet.node.cluster;

import com.typesafe.config.Config;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.config.ClusterSettings;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.gateway.NodeServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A cluster node in a JVM of its own, for tests: {@code NAME WORKERS CLUSTER_PORT SEED TOKEN}.
 * Prints {@code listening PORT}, {@code workers PID,...}, then the cluster's lines; exits when
 * the cluster downs it, as {@code ./pyfleet node} does.
 */
public final class ClusterNodeMain {
    private ClusterNodeMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, Object> o = new HashMap<>();
        o.put("pyfleet.node-name", args[0]);
        o.put("pyfleet.gateway.port", 0);
        o.put("pyfleet.gateway.token", args[4]);
        o.put("pyfleet.gateway.shutdown-grace", "1s");
        o.put("pyfleet.cluster.enabled", true);
        o.put("pyfleet.cluster.port", Integer.parseInt(args[2]));
        o.put("pyfleet.cluster.seeds", List.of(args[3]));
        o.put("pyfleet.cluster.split-brain-resolver.stable-after", "3s");
        o.put("pyfleet.cluster.failure-detector-pause", "2s");
        o.put("pyfleet.cluster.describe-interval", "500ms");
        o.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
        Config config = TestFleets.config(Integer.parseInt(args[1]), o);
        CountDownLatch stopped = new CountDownLatch(1);
        NodeServer node = NodeServer.start(config, GatewaySettings.from(config), ClusterSettings.from(config),
                line -> {
                    System.out.println(line);
                    System.out.flush();
                });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.stop();
            stopped.countDown();
        }));
        io.pyfleet.node.gateway.StopSignals.onStop(() -> {
            node.stop();
            stopped.countDown();
        });
        node.whenTerminated().thenRun(() -> {
            if (!node.isStopping()) {
                System.out.println("terminated");
                System.out.flush();
                Runtime.getRuntime().halt(3);
            }
        });
        System.out.println("listening " + node.address().getPort());
        System.out.println("workers " + node.fleet().stats().workers().stream()
                .map(w -> Long.toString(w.pid())).reduce((a, b) -> a + "," + b).orElse(""));
        System.out.flush();
        stopped.await();
    }
}
