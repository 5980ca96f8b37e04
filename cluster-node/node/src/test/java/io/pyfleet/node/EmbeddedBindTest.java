package io.pyfleet.node;

import io.pyfleet.client.Fleet;

/** {@link BindContract} against a node in this JVM. */
class EmbeddedBindTest extends BindContract {
    @Override
    protected Fleet open() {
        return TestFleets.start(1);
    }
}
