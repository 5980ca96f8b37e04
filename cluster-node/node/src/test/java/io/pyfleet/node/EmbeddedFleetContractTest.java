package io.pyfleet.node;

import io.pyfleet.client.Fleet;

/** The API suite against a node in this JVM. */
class EmbeddedFleetContractTest extends FleetContract {
    @Override
    protected Fleet open(int workers) {
        return TestFleets.start(workers);
    }

    @Override
    protected String kind() {
        return "embedded";
    }
}
