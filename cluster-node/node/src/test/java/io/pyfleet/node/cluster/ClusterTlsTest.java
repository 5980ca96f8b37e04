package io.pyfleet.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NodeStatus;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.config.ClusterSettings;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.gateway.NodeServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two nodes form a cluster over Artery TLS with mutual authentication (a keystore made by keytool). */
class ClusterTlsTest {
    @Test
    void twoNodesFormAClusterOverTls(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("cluster.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=pyfleet-cluster", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                keystore.toString(), "-storepass", "cluster-pass", "-keypass", "cluster-pass").inheritIO().start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool made a keystore");
        int seed = ClusterNodes.freePort();
        try (NodeServer a = start("a", seed, seed, keystore); NodeServer b = start("b", ClusterNodes.freePort(), seed, keystore);
                Fleet fleet = Fleet.connect(ClusterNodes.TOKEN, "127.0.0.1:" + a.address().getPort())) {
            Eventually.await(Duration.ofSeconds(60), () -> fleet.nodes().size() == 2,
                    () -> "two nodes over TLS: " + fleet.nodes());
            assertEquals(List.of("a", "b"), fleet.nodes().stream().map(NodeStatus::name).toList());
            assertEquals("tls-tcp", a.fleet().system().settings().config().getString("pekko.remote.artery.transport"));
            Object pid = fleet.submit(Call.function("os.getpid", List.of(), Map.of())
                    .with(CallOptions.builder().on("b").build())).get(30, TimeUnit.SECONDS);
            assertEquals(b.fleet().stats().workers().get(0).pid(), pid, "node a forwarded the call to b over TLS");
        }
    }

    private static NodeServer start(String name, int port, int seed, Path keystore) {
        Map<String, Object> o = new HashMap<>();
        o.put("pyfleet.node-name", name);
        o.put("pyfleet.gateway.port", 0);
        o.put("pyfleet.gateway.token", ClusterNodes.TOKEN);
        o.put("pyfleet.cluster.enabled", true);
        o.put("pyfleet.cluster.port", port);
        o.put("pyfleet.cluster.seeds", List.of("127.0.0.1:" + seed));
        o.put("pyfleet.cluster.describe-interval", "300ms");
        o.put("pyfleet.cluster.tls.enabled", true);
        o.put("pyfleet.cluster.tls.keystore", keystore.toString());
        o.put("pyfleet.cluster.tls.keystore-password", "cluster-pass");
        Config config = TestFleets.config(1, o);
        return NodeServer.start(config, GatewaySettings.from(config), ClusterSettings.from(config), line -> { });
    }
}
