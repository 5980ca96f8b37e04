package io.pyfleet.node.gateway;

import com.typesafe.config.Config;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.config.GatewaySettings;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A node in a JVM of its own, as {@code ./pyfleet node} runs it (the CLI lives in the app
 * module): prints {@code listening PORT} and serves until SIGTERM, which stops it in order.
 * Args: workers, shutdown grace, then any number of {@code key=value} settings. Like the node, it exits
 * on an OutOfMemoryError ({@link FatalErrors}).
 */
public final class NodeMain {
    private NodeMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        FatalErrors.exitOnFatalErrors();
        Map<String, Object> settings = new java.util.HashMap<>(Map.of("pyfleet.gateway.port", 0,
                "pyfleet.gateway.token", TestNodes.TOKEN, "pyfleet.gateway.shutdown-grace", args[1],
                "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off"));
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        Config config = TestFleets.config(Integer.parseInt(args[0]), settings);
        NodeServer node = NodeServer.start(config, GatewaySettings.from(config));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.stop();
            stopped.countDown();
        }));
        System.out.println("listening " + node.address().getPort());
        System.out.println("workers " + node.fleet().stats().workers().stream()
                .map(w -> Long.toString(w.pid())).reduce((a, b) -> a + "," + b).orElse(""));
        System.out.flush();
        stopped.await();
    }
}
