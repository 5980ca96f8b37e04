package io.pyfleet.node.gateway;

import io.pyfleet.client.Fleet;
import io.pyfleet.node.NumPyContract;
import java.util.Map;

/** {@link NumPyContract} through the thin client: arrays come by value, the same API. */
class RemoteNumPyTest extends NumPyContract {
    private NodeServer node;

    @Override
    protected Fleet open() {
        node = TestNodes.start(1, Map.of());
        return Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort());
    }

    @Override
    protected void close(Fleet opened) {
        try {
            opened.close();
        } finally {
            node.stop();
        }
    }

    @Override
    protected boolean nodeOwned() {
        return false;
    }
}
