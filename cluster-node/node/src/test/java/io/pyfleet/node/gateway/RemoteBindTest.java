package io.pyfleet.node.gateway;

import io.pyfleet.client.Fleet;
import io.pyfleet.node.BindContract;
import java.util.Map;

/** {@link BindContract} through the thin client, against a node over TCP. */
class RemoteBindTest extends BindContract {
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
}
