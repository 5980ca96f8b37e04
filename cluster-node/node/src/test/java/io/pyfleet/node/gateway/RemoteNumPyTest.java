package io.pyfleet.node.gateway;

import io.pyfleet.client.Fleet;
import io.pyfleet.node.NumPyContract;
import java.util.Map;

/** {@link NumPyContract} through the thin client: arrays come by value, the same API. */
class RemoteNumPyTest extends NumPyContract {
    @Override
    protected Fleet open() {
        return TestNodes.remote(1, Map.of());
    }

    @Override
    protected boolean nodeOwned() {
        return false;
    }
}
