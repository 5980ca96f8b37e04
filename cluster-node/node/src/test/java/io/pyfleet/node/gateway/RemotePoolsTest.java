package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.NotAllowedException;
import io.pyfleet.client.PoolInfo;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.node.PoolsContract;
import io.pyfleet.node.TestPython;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Named pools through a node's gateway, with the thin client. */
class RemotePoolsTest extends PoolsContract {
    private NodeServer node;

    @Override
    protected Fleet open(int workers) {
        node = TestNodes.start(workers, Map.of());
        return Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort());
    }

    @Override
    protected String nodeName() {
        return "local";
    }

    @AfterAll
    void stopNode() {
        if (node != null) {
            node.stop();
        }
    }

    @Test
    void aNodeWithANarrowAllowListRefusesPoolChangesButLists() {
        try (NodeServer narrow = TestNodes.start(1, Map.of("pyfleet.gateway.allow", List.of("math.*")));
                Fleet client = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + narrow.address().getPort())) {
            NotAllowedException e = assertThrows(NotAllowedException.class,
                    () -> client.startPool(PoolSpec.builder("p", TestPython.interpreter()).build()));
            assertTrue(e.getMessage().contains("pool_start"), e.getMessage());
            assertThrows(NotAllowedException.class, () -> client.resizePool(null, PoolSpec.DEFAULT_POOL, 2));
            assertThrows(NotAllowedException.class, () -> client.stopPool(null, "p"));
            List<PoolInfo> pools = client.pools(null);
            assertEquals(List.of(PoolSpec.DEFAULT_POOL), pools.stream().map(PoolInfo::name).toList());
            assertEquals(1, pools.get(0).workers());
        }
    }
}
