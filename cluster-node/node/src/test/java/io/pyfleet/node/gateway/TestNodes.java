package io.pyfleet.node.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
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

    static Config config(int workers) {
        return ConfigFactory.empty().withFallback(TestFleets.config(workers, Map.of()));
    }
}
