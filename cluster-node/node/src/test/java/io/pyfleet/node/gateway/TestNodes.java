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

    /**
     * 127.0.0.{@code last}, for a client that must come from another address than the others (Linux routes all of
     * 127/8 to loopback); skips the test where this system has only 127.0.0.1.
     */
    static java.net.InetAddress otherLoopback(int last) throws java.io.IOException {
        java.net.InetAddress a = java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        boolean usable;
        try (java.net.Socket probe = new java.net.Socket()) {
            probe.bind(new java.net.InetSocketAddress(a, 0));
            usable = true;
        } catch (java.net.BindException e) {
            usable = false;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(usable, a + " is not a local address here (only 127.0.0.1 "
                + "is, as on macOS): this test needs a second loopback address");
        return a;
    }

    static Config config(int workers) {
        return ConfigFactory.empty().withFallback(TestFleets.config(workers, Map.of()));
    }
}
