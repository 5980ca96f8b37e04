package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Outcomes of scatter and identical stream one per frame as they come: results that together are larger than
 * pyfleet.gateway.max-frame-size all come back, an item that alone would not fit fails on its own with a typed
 * error (it ran), and the connection and its other calls are unharmed. The thin client's API is unchanged.
 */
class LargeOutcomesTest {
    private static final int MAX_FRAME = 2 << 20;
    private static final Map<String, Object> SMALL_FRAMES = Map.of("pyfleet.gateway.max-frame-size", "2MiB",
            "pyfleet.gateway.array-read-max", "512KiB");

    @Test
    void identicalResultsLargerTogetherThanAFrameAllComeBack() {
        try (Fleet fleet = TestNodes.remote(2, SMALL_FRAMES)) {
            List<Outcome> outcomes = fleet.identical("builtins.bytes", 1_500_000); // 3 MB together
            assertEquals(2, outcomes.size());
            for (Outcome o : outcomes) {
                assertTrue(o.isOk(), "each fits a frame of its own: " + o);
                assertEquals(1_500_000, ((byte[]) o.value()).length);
            }
            assertEquals(3L, fleet.call("builtins.abs", -3), "the connection serves on");
        }
    }

    @Test
    void aScatterItemTooLargeForAFrameFailsAloneAndTheOthersComeBackInOrder() {
        try (Fleet fleet = TestNodes.remote(2, SMALL_FRAMES)) {
            List<List<?>> items = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                items.add(List.of(i == 7 ? 3_000_000 : 1_000_000 + i));
            }
            List<Outcome> outcomes = fleet.scatter("builtins.bytes", items);
            assertEquals(10, outcomes.size());
            for (int i = 0; i < 10; i++) {
                Outcome o = outcomes.get(i);
                if (i == 7) {
                    assertTrue(o.error() instanceof ProtocolException e && e.getMessage().contains("item 7")
                            && e.getMessage().contains("pyfleet.gateway.max-frame-size")
                            && e.getMessage().contains("ran"), "the item over the frame fails alone: " + o);
                } else {
                    assertTrue(o.isOk(), "item " + i + ": " + o);
                    assertEquals(1_000_000 + i, ((byte[]) o.value()).length, "in input order");
                }
            }
            assertEquals(3L, fleet.call("builtins.abs", -3), "the connection serves on");
        }
    }

    /** On the wire: no frame the node sends is over its max_frame, and the reply counts the items. */
    @Test
    void onTheWireEachItemIsAnEventWithinTheFrameAndTheReplyCountsThem() throws Exception {
        NodeServer node = TestNodes.start(2, SMALL_FRAMES);
        try (WireClient c = new WireClient(new InetSocketAddress("127.0.0.1", node.address().getPort()))) {
            assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
            List<List<?>> items = List.of(List.of(1_500_000), List.of(1_500_000), List.of(5));
            c.request(1, "scatter", "builtins.bytes", List.of(items), Map.of("each", true));
            boolean[] seen = new boolean[3];
            while (true) {
                int n = c.in.readInt();
                assertTrue(n <= MAX_FRAME, "a frame of " + n + " bytes, over max_frame");
                byte[] payload = new byte[n];
                c.in.readFully(payload);
                Incoming m = Incoming.parse(payload);
                if (m.type() == Messages.EVENT) {
                    List<?> item = (List<?>) m.body();
                    seen[((Long) item.get(0)).intValue()] = true;
                    assertEquals(0L, ((List<?>) item.get(1)).get(0));
                } else if (m.type() == Messages.REPLY) {
                    assertEquals(3L, m.body());
                    break;
                }
            }
            assertTrue(seen[0] && seen[1] && seen[2], "every item came before the reply");
        } finally {
            node.stop();
        }
    }
}
