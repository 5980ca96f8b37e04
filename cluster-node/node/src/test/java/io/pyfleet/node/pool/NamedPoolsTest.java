package io.pyfleet.node.pool;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NodeLostException;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.node.PoolsContract;
import io.pyfleet.node.TestFleets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Named pools on an embedded fleet. */
class NamedPoolsTest extends PoolsContract {
    private Fleet embedded;

    @Override
    protected Fleet open(int workers) {
        embedded = TestFleets.start(workers);
        return embedded;
    }

    @Override
    protected String nodeName() {
        return "local";
    }

    @Test
    void anEmbeddedFleetReachesNoOtherNode() {
        NodeLostException e = assertThrows(NodeLostException.class, () -> embedded.startPool(
                PoolSpec.builder("elsewhere", "python3").node("node-2").build()));
        assertTrue(e.getMessage().contains("node-2") && e.getMessage().contains("local"), e.getMessage());
        assertThrows(NodeLostException.class, () -> embedded.pools("node-2"));
        assertThrows(NodeLostException.class, () -> embedded.stopPool("node-2", "x"));
        Call getpid = Call.function("os.getpid", List.of(), Map.of());
        assertThrows(NodeLostException.class, () -> Fleet.join(embedded.submit(
                getpid.with(CallOptions.builder().on("node-2").build()))));
        assertThrows(NodeLostException.class, () -> Fleet.join(embedded.scatterAsync("os.getpid",
                List.of(List.of()), CallOptions.builder().on("node-2").build())));
        assertInstanceOf(Long.class, Fleet.join(embedded.submit(getpid.with(CallOptions.builder().on("local").build()))));
    }
}
