package io.pyfleet.node;

import io.pyfleet.client.Fleet;

/** {@link NumPyContract} on an embedded fleet: array results live in the node's shared memory. */
class EmbeddedNumPyTest extends NumPyContract {
    @Override
    protected Fleet open() {
        return TestFleets.start(1);
    }

    @Override
    protected boolean nodeOwned() {
        return true;
    }
}
