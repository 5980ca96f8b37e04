package io.pyfleet.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.NodeStatus;
import io.pyfleet.client.Outcome;
import io.pyfleet.node.Eventually;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A scatter or identical call that spans the cluster streams its outcomes one frame each, as the
 * single node does: results larger together than pyfleet.gateway.max-frame-size all come back,
 * where the assembled reply used to fail every item past the frame.
 */
class ClusterOutcomesTest {
    @Test
    void outcomesOfAClusterScatterAndIdenticalLargerTogetherThanAFrameAllComeBack() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes().with("pyfleet.gateway.max-frame-size", "2MiB")
                .with("pyfleet.gateway.array-read-max", "512KiB")) {
            ClusterNodes.Node n1 = cluster.start("n1", 1);
            ClusterNodes.Node n2 = cluster.start("n2", 1);
            n1.awaitUp(2, Duration.ofSeconds(60));
            try (Fleet fleet = Fleet.connect(ClusterNodes.TOKEN, n1.address())) {
                Eventually.await(Duration.ofSeconds(40), () -> fleet.nodes().stream()
                        .filter(NodeStatus::reachable).count() == 2, () -> "both nodes, in " + fleet.nodes());
                List<List<?>> items = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    items.add(List.of(300_000 + i)); // 6 MB together; a chunk of them fits a frame
                }
                List<Outcome> scattered = fleet.scatter("builtins.bytes", items);
                assertEquals(20, scattered.size());
                for (int i = 0; i < 20; i++) {
                    assertTrue(scattered.get(i).isOk(), "item " + i + ": " + scattered.get(i));
                    assertEquals(300_000 + i, ((byte[]) scattered.get(i).value()).length, "in input order");
                }
                List<Outcome> everywhere = fleet.identical("builtins.bytes", 1_500_000); // 3 MB together
                assertEquals(2, everywhere.size(), "one worker on each node");
                for (Outcome o : everywhere) {
                    assertTrue(o.isOk(), "each fits a frame of its own: " + o);
                    assertEquals(1_500_000, ((byte[]) o.value()).length);
                }
                assertEquals(3L, fleet.call("builtins.abs", -3), "the connection serves on");
            }
        }
    }
}
