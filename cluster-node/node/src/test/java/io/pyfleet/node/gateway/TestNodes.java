package io.pyfleet.node.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pyfleet.client.Fleet;
import io.pyfleet.node.ForwardingFleet;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.config.GatewaySettings;
import java.util.HashMap;
import java.util.Map;

/** Nodes with a gateway on a free loopback port, for tests. */
final class TestNodes {
    static final String TOKEN = "test-token-0123456789abcdef";

    private TestNodes() {
    }

    static NodeServer start(int workers, Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>();
        values.put("pyfleet.gateway.port", 0);
        values.put("pyfleet.gateway.token", TOKEN);
        values.putAll(overrides);
        Config config = TestFleets.config(workers, values);
        return NodeServer.start(config, GatewaySettings.from(config));
    }

    /** A thin client of a new node of {@code workers} workers; closing it stops the node too. */
    static Fleet remote(int workers, Map<String, Object> overrides) {
        NodeServer node = start(workers, overrides);
        return new ForwardingFleet(Fleet.connect(TOKEN, "127.0.0.1:" + node.address().getPort())) {
            @Override
            public void close() {
                try {
                    fleet.close();
                } finally {
                    node.stop();
                }
            }
        };
    }

    static Config config(int workers) {
        return ConfigFactory.empty().withFallback(TestFleets.config(workers, Map.of()));
    }
}
