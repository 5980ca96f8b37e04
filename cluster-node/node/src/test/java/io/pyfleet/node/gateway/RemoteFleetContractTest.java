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
        NodeServer node = TestNodes.start(workers, Map.of());
        Fleet remote = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort());
        return new ClosingBoth(remote, node);
    }

    @Override
    protected String kind() {
        return "remote";
    }

    /** The client fleet, which also stops its node when closed. */
    private record ClosingBoth(Fleet remote, NodeServer node) implements Fleet {
        @Override
        public java.util.concurrent.CompletableFuture<Object> submit(io.pyfleet.client.Call call) {
            return remote.submit(call);
        }

        @Override
        public java.util.concurrent.CompletableFuture<java.util.List<io.pyfleet.client.Outcome>> identicalAsync(
                io.pyfleet.client.Call call) {
            return remote.identicalAsync(call);
        }

        @Override
        public java.util.concurrent.CompletableFuture<java.util.List<io.pyfleet.client.Outcome>> scatterAsync(
                String name, java.util.List<? extends java.util.List<?>> argumentSets,
                io.pyfleet.client.CallOptions options) {
            return remote.scatterAsync(name, argumentSets, options);
        }

        @Override
        public int poolSize() {
            return remote.poolSize();
        }

        @Override
        public void resize(int workers) {
            remote.resize(workers);
        }

        @Override
        public io.pyfleet.client.PoolStats stats() {
            return remote.stats();
        }

        @Override
        public io.pyfleet.client.PoolInfo startPool(io.pyfleet.client.PoolSpec spec) {
            return remote.startPool(spec);
        }

        @Override
        public void resizePool(String nodeName, String name, int workers) {
            remote.resizePool(nodeName, name, workers);
        }

        @Override
        public void stopPool(String nodeName, String name) {
            remote.stopPool(nodeName, name);
        }

        @Override
        public java.util.List<io.pyfleet.client.PoolInfo> pools(String nodeName) {
            return remote.pools(nodeName);
        }

        @Override
        public void close() {
            try {
                remote.close();
            } finally {
                node.stop();
            }
        }
    }
}
