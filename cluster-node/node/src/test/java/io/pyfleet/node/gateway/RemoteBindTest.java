package io.pyfleet.node.gateway;

import io.pyfleet.client.Fleet;
import io.pyfleet.node.BindContract;
import java.util.Map;

/** {@link BindContract} through the thin client, against a node over TCP. */
class RemoteBindTest extends BindContract {
    @Override
    protected Fleet open() {
        return TestNodes.remote(1, Map.of());
    }
}
