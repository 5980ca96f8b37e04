package io.pyfleet.node.pool;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.client.UnknownPoolException;
import io.pyfleet.node.PoolsContract;
import io.pyfleet.node.TestFleets;
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
        UnknownPoolException e = assertThrows(UnknownPoolException.class, () -> embedded.startPool(
                PoolSpec.builder("elsewhere", "python3").node("node-2").build()));
        assertTrue(e.getMessage().contains("node-2") && e.getMessage().contains("local"), e.getMessage());
        assertThrows(UnknownPoolException.class, () -> embedded.pools("node-2"));
        assertThrows(UnknownPoolException.class, () -> embedded.stopPool("node-2", "x"));
    }
}
