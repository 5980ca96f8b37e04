package io.pyfleet.node.gateway;

import io.pyfleet.client.Fleet;
import io.pyfleet.node.FleetContract;
import java.util.Map;

/**
 * The API suite against a node over TCP: a node with its gateway on a loopback port, and the
 * thin client connected to it. Closing the client fleet closes the node too.
 */
class RemoteFleetContractTest extends FleetContract {
    @Override
    protected Fleet open(int workers) {
        return TestNodes.remote(workers, Map.of());
    }

    @Override
    protected String kind() {
        return "remote";
    }
}
