package io.pyfleet.node.gateway;

import com.typesafe.config.Config;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.config.GatewaySettings;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * A node in a JVM of its own for load tests: prints {@code listening PORT}, then {@code heap BYTES} (used heap)
 * every 200 ms, until it is killed. Args: workers, then {@code key=value} configuration overrides.
 */
public final class HandshakeNodeMain {
    private HandshakeNodeMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, Object> overrides = new HashMap<>(Map.of("pyfleet.gateway.port", 0,
                "pyfleet.gateway.token", TestNodes.TOKEN));
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            overrides.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        Config config = TestFleets.config(Integer.parseInt(args[0]), overrides);
        NodeServer node = NodeServer.start(config, GatewaySettings.from(config));
        System.out.println("listening " + node.address().getPort());
        System.out.flush();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        while (true) {
            System.out.println("heap " + memory.getHeapMemoryUsage().getUsed());
            System.out.flush();
            Thread.sleep(200);
        }
    }
}
